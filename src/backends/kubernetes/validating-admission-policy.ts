import { instanceName, type Enforcement, type Policy } from "../../ir/index.js";
import { celSpecFields, lowerToCel, toMatchConstraints } from "../../lower/cel/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

const ACTIONS: Record<Enforcement, string[]> = { enforce: ["Deny"], audit: ["Audit"], warn: ["Warn"] };

/**
 * The policy's title, description, category and severity, as the other targets carry them
 * (Kyverno: `policies.kyverno.io/*`, Gatekeeper: `metadata.gatekeeper.sh/*`). Kubernetes has no
 * convention of its own for these, so the keys are policyc's.
 */
function annotationsOf(p: Policy): Record<string, string> {
  const a: Record<string, string> = {};
  if (p.title) a["policyc/title"] = p.title;
  if (p.category) a["policyc/category"] = p.category;
  if (p.severity) a["policyc/severity"] = p.severity;
  if (p.description) a["policyc/description"] = p.description;
  return a;
}

/**
 * Kubernetes `ValidatingAdmissionPolicy` + `ValidatingAdmissionPolicyBinding`
 * (admissionregistration.k8s.io/v1), one pair per instance. Parameters are inlined rather than
 * passed through `paramKind`: a paramKind needs a CRD or ConfigMap of the user's in the cluster,
 * and inlining keeps the policy self-contained and identical in meaning to the Kyverno output.
 * The API server has no autogen, so pod controllers are covered by the `pod` variable.
 */
export function toValidatingAdmissionPolicies(p: Policy): Document[] {
  return p.instances.flatMap((inst) => {
    const name = instanceName(p.name, inst);
    const cel = lowerToCel(p, inst);
    const policy: Document = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name, labels: { ...MANAGED_BY }, ...(Object.keys(annotationsOf(p)).length ? { annotations: annotationsOf(p) } : {}) },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: toMatchConstraints(p, inst.values),
        ...celSpecFields(cel),
      },
    };
    const binding: Document = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name, labels: { ...MANAGED_BY } },
      spec: { policyName: name, validationActions: ACTIONS[p.enforcement] },
    };
    return [policy, binding];
  });
}
