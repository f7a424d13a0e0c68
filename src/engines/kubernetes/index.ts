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

const VALIDATION_ACTIONS = ["Deny", "Warn", "Audit"];

/**
 * What the API server's validation of a ValidatingAdmissionPolicyBinding refuses (an object spec,
 * validationActions required, each Deny, Warn or Audit, once, never Deny with Warn), and a binding
 * whose policy is not among the documents: it would bind nothing, silently.
 */
function bindingProblems(doc: KubeObject, documents: readonly KubeObject[]): { field: (string | number)[]; message: string }[] {
  const spec = (doc as { spec?: unknown }).spec;
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) return [{ field: ["spec"], message: "spec must be an object" }];
  const { policyName, validationActions } = spec as { policyName?: unknown; validationActions?: unknown };
  const out: { field: (string | number)[]; message: string }[] = [];
  if (typeof policyName !== "string" || !policyName) out.push({ field: ["spec", "policyName"], message: "policyName is required" });
  else if (!documents.some((d) => d.kind === "ValidatingAdmissionPolicy" && d.metadata?.name === policyName))
    out.push({
      field: ["spec", "policyName"],
      message: `no ValidatingAdmissionPolicy named ${policyName} among the documents: the binding binds nothing`,
    });
  if (!Array.isArray(validationActions) || validationActions.length === 0)
    return [...out, { field: ["spec", "validationActions"], message: "validationActions is required: one or more of Deny, Warn, Audit" }];
  validationActions.forEach((a, i) => {
    if (typeof a !== "string" || !VALIDATION_ACTIONS.includes(a))
      out.push({
        field: ["spec", "validationActions", i],
        message: `unsupported value ${JSON.stringify(a)}: supported values are "Audit", "Deny", "Warn"`,
      });
    else if (validationActions.indexOf(a) !== i)
      out.push({ field: ["spec", "validationActions", i], message: `duplicate value ${JSON.stringify(a)}` });
  });
  if (validationActions.includes("Deny") && validationActions.includes("Warn"))
    out.push({ field: ["spec", "validationActions"], message: "Deny and Warn may not be used together (Deny already warns)" });
  return out;
}

export class KubernetesEngine implements Engine {
  readonly name = "kubernetes" as const;
  private constructor(private readonly policies: ReadonlyMap<string, CompiledVap>) {}

  /** Compiles every ValidatingAdmissionPolicy of every set with its bindings; other kinds are ignored. */
  static prepare(sets: readonly DocumentSet<KubeObject>[], context: KubernetesContext): Prepared<KubernetesEngine> {
    const policies = new Map<string, CompiledVap>();
    const problems: SetProblem[] = [];
    const setDocuments = new Map(sets.map((s) => [s.id, s.documents]));
    for (const { doc, index, set } of documentsOf(sets))
      if (doc.kind === "ValidatingAdmissionPolicyBinding")
        for (const p of bindingProblems(doc, setDocuments.get(set)!))
          problems.push({ set, code: "invalid_document", document: index, ...p });
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
export { KubernetesMutationEngine } from "./mutating.js";
