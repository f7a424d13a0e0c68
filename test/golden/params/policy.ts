import { definePolicy, Pod, z } from "policyc";

export default definePolicy({
  name: "golden-registries",
  title: "Images come from allowed registries",
  match: { kinds: [Pod] },
  params: z.object({
    registries: z.array(z.string()).describe("allowed image prefixes"),
    maxContainers: z.number().int().default(10),
  }),
  instances: [
    { name: "prod", params: { registries: ["registry.example.com/"] } },
    { name: "dev", params: { registries: ["registry.example.com/", "ghcr.io/"], maxContainers: 20 } },
  ],
  rules: [
    {
      name: "registries",
      assert: (pod, params) => pod.spec.allContainers.every((c) => c.image.startsWith(params.registries).message`Image ${c.image} is not from an allowed registry`),
    },
    { name: "container-count", assert: (pod) => pod.spec.containers.count().lte(5), message: "too many containers" },
  ],
});
