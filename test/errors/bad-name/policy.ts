import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "Bad_Name",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});
