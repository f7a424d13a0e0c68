import { instanceName, type Mutation } from "../../ir/index.js";
import { lowerMutationToCel, mutationEntry, mutationMatchConstraints } from "../../lower/cel/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

/** The API version of policyc's MutatingAdmissionPolicy output: beta in Kubernetes 1.34 and 1.35. */
export const MUTATING_API_VERSION = "admissionregistration.k8s.io/v1beta1";

/** A mutation's title and description, under policyc's annotation keys (as ValidatingAdmissionPolicies carry them). */
export function mutationAnnotations(m: Mutation): Record<string, string> | undefined {
  const a: Record<string, string> = {};
  if (m.title) a["policyc/title"] = m.title;
  if (m.description) a["policyc/description"] = m.description;
  return Object.keys(a).length ? a : undefined;
}

/**
 * Kubernetes `MutatingAdmissionPolicy` + `MutatingAdmissionPolicyBinding`
 * (admissionregistration.k8s.io/v1beta1: Kubernetes 1.34 and 1.35 with the
 * MutatingAdmissionPolicy feature gate and the v1beta1 API enabled), one pair per instance.
 * `reinvocationPolicy: Never`: every mutation is idempotent, so a second pass would change nothing.
 */
export function toMutatingAdmissionPolicies(m: Mutation): Document[] {
  return m.instances.flatMap((inst) => {
    const name = instanceName(m.name, inst);
    const annotations = mutationAnnotations(m);
    const policy: Document = {
      apiVersion: MUTATING_API_VERSION,
      kind: "MutatingAdmissionPolicy",
      metadata: { name, labels: { ...MANAGED_BY }, ...(annotations ? { annotations } : {}) },
      spec: {
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        matchConstraints: mutationMatchConstraints(m),
        mutations: lowerMutationToCel(m, inst).map(mutationEntry),
      },
    };
    const binding: Document = {
      apiVersion: MUTATING_API_VERSION,
      kind: "MutatingAdmissionPolicyBinding",
      metadata: { name, labels: { ...MANAGED_BY } },
      spec: { policyName: name },
    };
    return [policy, binding];
  });
}
