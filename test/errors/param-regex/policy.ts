import { definePolicy, Pod, z } from "policyc";

export default definePolicy({
  name: "param-regex",
  match: { kinds: [Pod] },
  params: z.object({ pattern: z.string() }),
  instances: [
    { name: "good", params: { pattern: "^app-" } },
    { name: "bad", params: { pattern: "^(?=app)" } },
  ],
  validate: (pod, params) => pod.metadata.name.matches(params.pattern),
});
