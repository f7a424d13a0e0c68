import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "message-scope",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.containers.some((c) => c.image.startsWith("registry.example.com/").message`container ${c.name} is from elsewhere`),
});
