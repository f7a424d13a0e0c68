/**
 * The `kubernetes` engine: ValidatingAdmissionPolicies with their bindings, evaluated by the API
 * server's own admission-policy code on the CEL runtime.
 */
import type { KubeObject, AdmissionRequest } from "../../kube/index.js";
import { CompiledVap, type CelRuntime } from "../cel/index.js";
import { parseFieldPath } from "../verdict/index.js";
import { failure, type DocumentProblem, type Verdict } from "../verdict/index.js";

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

export class KubernetesEngine {
  readonly name = "kubernetes" as const;
  private constructor(private readonly policies: ReadonlyMap<string, CompiledVap>) {}

  /** Compiles every ValidatingAdmissionPolicy among the documents with its bindings; other kinds are ignored. */
  static prepare(documents: readonly KubeObject[], context: KubernetesContext): { engine: KubernetesEngine; problems: DocumentProblem[] } {
    const policies = new Map<string, CompiledVap>();
    const problems: DocumentProblem[] = [];
    documents.forEach((doc, index) => {
      if (doc.kind !== "ValidatingAdmissionPolicy") return;
      const name = String(doc.metadata?.name ?? "");
      let bindings = documents.filter(isBindingOf(name));
      if (bindings.length === 0 && context.bindUnbound) {
        bindings = [
          {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingAdmissionPolicyBinding",
            metadata: { name },
            spec: { policyName: name, validationActions: ["Deny"] },
          },
        ];
      }
      const r = CompiledVap.compile(context.runtime, doc, bindings);
      if (r.ok) policies.set(name, r.vap);
      else
        for (const p of r.problems)
          problems.push({ code: "compile_error", document: index, field: parseFieldPath(p.field), message: p.message });
    });
    return { engine: new KubernetesEngine(policies), problems };
  }

  /** The verdict of the ValidatingAdmissionPolicy `name` (through its bindings) on a request. */
  evaluate(name: string, req: AdmissionRequest): Verdict {
    const vap = this.policies.get(name);
    if (!vap) return failure("missing_document", `no ValidatingAdmissionPolicy named ${name}`);
    return vap.evaluate(req);
  }

  /** Frees the compiled policies in the CEL runtime (long runs such as the fuzzer). */
  release(): void {
    for (const vap of this.policies.values()) vap.release();
  }
}
