import { definePolicy, Pod } from "policyc";

export default definePolicy({ name: "no-host-pid", match: { kinds: [Pod] }, validate: (pod) => pod.spec.hostPID.notEquals(true) });
