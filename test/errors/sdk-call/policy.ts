import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "sdk-call",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.containers.every((c) => c.env.every((e) => e.name.equals("x").message`x`)).message`y` && pod.metadata.labels.at(5 as unknown as string).exists(),
});
