import { definePolicy, Pod } from "policyc";

// Gatekeeper names a template by the policy name without dashes: "nohostpid" for both.
export default definePolicy({ name: "nohost-pid", match: { kinds: [Pod] }, validate: (pod) => pod.spec.hostIPC.notEquals(true) });
