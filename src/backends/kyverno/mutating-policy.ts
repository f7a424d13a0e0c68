import { instanceName, type Mutation } from "../../ir/index.js";
import { lowerMutationToCel, mutationEntry, mutationMatchConstraints } from "../../lower/cel/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

/**
 * Kyverno `MutatingPolicy` (policies.kyverno.io/v1), one per instance: the same CEL mutations as
 * the MutatingAdmissionPolicy, with Kyverno's autogen switched off (the mutations already cover
 * the pod controllers, by kind).
 */
export function toMutatingPolicies(m: Mutation): Document[] {
  return m.instances.map((inst) => {
    const annotations: Record<string, string> = {};
    if (m.title) annotations["policies.kyverno.io/title"] = m.title;
    if (m.description) annotations["policies.kyverno.io/description"] = m.description;
    return {
      apiVersion: "policies.kyverno.io/v1",
      kind: "MutatingPolicy",
      metadata: {
        name: instanceName(m.name, inst),
        labels: { ...MANAGED_BY },
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec: {
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        matchConstraints: mutationMatchConstraints(m),
        autogen: { podControllers: { controllers: [] } },
        mutations: lowerMutationToCel(m, inst).map(mutationEntry),
      },
    };
  });
}
