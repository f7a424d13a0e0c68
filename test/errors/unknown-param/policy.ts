import { definePolicy, Pod, z } from "policyc";

export default definePolicy({
  name: "allowed-registries",
  match: { kinds: [Pod] },
  params: z.object({ registries: z.array(z.string()).default(["registry.example.com/"]) }),
  validate: (pod, params) => pod.spec.allContainers.every((c) => c.image.startsWith((params as any).registires)),
});
