import { definePolicy, Pod } from "policyc";

export default definePolicy({ name: "same-name", match: { kinds: [Pod] }, validate: (pod) => pod.spec.hostPID.notEquals(true) });
