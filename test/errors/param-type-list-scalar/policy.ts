import { definePolicy, Pod, z } from "policyc";

export default definePolicy({
  name: "pull-policy",
  match: { kinds: [Pod] },
  params: z.object({ allowed: z.array(z.string()).default(["Always"]) }),
  validate: (pod, params) => pod.spec.containers.every((c) => c.imagePullPolicy.equals(params.allowed)).message`pull policy`,
});
