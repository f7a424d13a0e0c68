import { definePolicy, Pod, z } from "policyc";

// A platform team's policy: images only from approved registries, never `:latest`.
export default definePolicy({
  name: "restrict-image-registries",
  title: "Restrict image registries",
  category: "Supply chain",
  severity: "high",
  match: { kinds: [Pod], excludeNamespaces: ["kube-system"] },
  params: z.object({ registries: z.array(z.string()).default(["registry.example.com/"]) }),
  rules: [
    {
      name: "approved-registry",
      assert: (pod, params) =>
        pod.spec.allContainers.every(
          (c) => c.image.startsWith(params.registries).message`Image ${c.image} is not from an approved registry`,
        ),
    },
    {
      name: "no-latest-tag",
      assert: (pod) => pod.spec.allContainers.none((c) => c.image.endsWith(":latest").message`Container ${c.name} uses the :latest tag`),
    },
  ],
});
