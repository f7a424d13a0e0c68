import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod], excludeNamespaces: ["kube-*"] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});
