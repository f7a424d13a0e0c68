import { instanceName, type Enforcement, type Policy } from "../../ir/index.js";
import { celSpecFields, lowerToCel, toMatchConstraints } from "../../lower/cel/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

const ACTIONS: Record<Enforcement, string[]> = { enforce: ["Deny"], audit: ["Audit"], warn: ["Warn"] };

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
      metadata: { name, labels: { ...MANAGED_BY }, ...(p.title ? { annotations: { "policyc.dev/title": p.title } } : {}) },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: toMatchConstraints(p),
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
