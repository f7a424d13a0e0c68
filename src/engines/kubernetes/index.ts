/**
 * The `kubernetes` engine: ValidatingAdmissionPolicies with their bindings, evaluated by the API
 * server's own admission-policy code on the CEL runtime.
 */
import type { KubeObject } from "../../kube/index.js";
import { CompiledVap, type CelRuntime } from "../cel/index.js";
import {
  documentsOf,
  failure,
  parseFieldPath,
  setKey,
  type DocumentSet,
  type Engine,
  type EngineRequest,
  type Prepared,
  type SetProblem,
  type Verdict,
} from "../verdict/index.js";

export interface KubernetesContext {
  readonly runtime: CelRuntime;
  /**
   * Bind a policy that has no binding among the documents with `validationActions: [Deny]`, as
   * the Kyverno CLI does when it tests a ValidatingAdmissionPolicy. Without it, such a policy
   * never takes effect, as in a cluster.
   */
  readonly bindUnbound?: boolean;
}

const isBindingOf = (name: string) => (d: KubeObject) =>
  d.kind === "ValidatingAdmissionPolicyBinding" && (d as { spec?: { policyName?: unknown } }).spec?.policyName === name;

/** The binding the Kyverno CLI gives a policy without one. */
const denyBinding = (name: string): KubeObject => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingAdmissionPolicyBinding",
  metadata: { name },
  spec: { policyName: name, validationActions: ["Deny"] },
});

export class KubernetesEngine implements Engine {
  readonly name = "kubernetes" as const;
  private constructor(private readonly policies: ReadonlyMap<string, CompiledVap>) {}

  /** Compiles every ValidatingAdmissionPolicy of every set with its bindings; other kinds are ignored. */
  static prepare(sets: readonly DocumentSet<KubeObject>[], context: KubernetesContext): Prepared<KubernetesEngine> {
    const policies = new Map<string, CompiledVap>();
    const problems: SetProblem[] = [];
    const setDocuments = new Map(sets.map((s) => [s.id, s.documents]));
    for (const { doc, index, set } of documentsOf(sets)) {
      if (doc.kind !== "ValidatingAdmissionPolicy") continue;
      const name = String(doc.metadata?.name ?? "");
      let bindings = setDocuments.get(set)!.filter(isBindingOf(name));
      if (bindings.length === 0 && context.bindUnbound) bindings = [denyBinding(name)];
      const r = CompiledVap.compile(context.runtime, doc, bindings);
      if (r.ok) policies.set(setKey(set, name), r.vap);
      else
        for (const p of r.problems)
          problems.push({ set, code: "compile_error", document: index, field: parseFieldPath(p.field), message: p.message });
    }
    return { engine: new KubernetesEngine(policies), problems };
  }

  has(policy: string, set?: string): boolean {
    return this.policies.has(setKey(set, policy));
  }

  /** The verdict of a ValidatingAdmissionPolicy (through its bindings) on a request. */
  evaluate(request: EngineRequest): Verdict {
    const vap = this.policies.get(setKey(request.set, request.policy));
    if (!vap) return failure("missing_document", `no ValidatingAdmissionPolicy named ${request.policy}`);
    return vap.evaluate(request.admission);
  }

  release(): void {
    for (const vap of this.policies.values()) vap.release();
  }
}
