import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "namespace-precondition",
  match: { kinds: [Pod] },
  when: (_pod, _params, { namespaceObject }) => namespaceObject.metadata.labels.at("env").startsWith("prod"),
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});
