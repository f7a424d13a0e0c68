import { definePolicy, Pod, z } from "policyc";

export default definePolicy({
  name: "bad-params",
  match: { kinds: [Pod] },
  params: z.object({ registries: z.array(z.string()) }),
  instances: [
    { name: "prod", params: { registries: ["registry.example.com/"] } },
    { name: "dev", params: { registries: "ghcr.io/" as unknown as string[] } },
  ],
  validate: (pod, params) => pod.spec.containers.every((c) => c.image.startsWith(params.registries)),
});
