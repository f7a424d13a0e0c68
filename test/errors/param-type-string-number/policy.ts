import { definePolicy, Deployment, z } from "policyc";

export default definePolicy({
  name: "max-replicas",
  match: { kinds: [Deployment] },
  params: z.object({ max: z.string().default("3") }),
  validate: (d, params) => d.spec.replicas.lte(params.max).message`too many replicas`,
});
