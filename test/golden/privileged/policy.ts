import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "golden-privileged",
  title: "Disallow privileged containers",
  severity: "high",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.allContainers.every((c) => c.securityContext.privileged.notEquals(true).message`Privileged container ${c.name} is not allowed`),
});
