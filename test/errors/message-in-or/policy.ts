import { definePolicy, or, Pod } from "policyc";

export default definePolicy({
  name: "message-in-or",
  match: { kinds: [Pod] },
  validate: (pod) =>
    or(
      pod.spec.hostNetwork.notEquals(true).message`host network`,
      pod.spec.hostPID.notEquals(true),
    ),
});
