import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "wrong-type",
  match: { kinds: [Pod] },
  // Not one of low, medium, high, critical.
  severity: "urgent",
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
} as never);
