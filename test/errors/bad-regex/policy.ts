import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "bad-regex",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.containers.every((c) => c.image.matches("^(?=registry)")),
});
