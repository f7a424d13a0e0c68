import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "two-line-message",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.hostNetwork.notEquals(true).message`Host networking is not allowed.
Ask the platform team for an exception.`,
});
