import { definePolicy, Pod, z } from "policyc";

export default definePolicy({
  name: "max-memory",
  match: { kinds: [Pod] },
  params: z.object({ max: z.string().default("1Gi") }),
  validate: (pod, params) => pod.spec.containers.every((c) => c.resources.limits.at("memory").lte(params.max)).message`memory`,
});
