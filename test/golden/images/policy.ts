import { definePolicy, image, Pod, z } from "policyc";

const digest = "sha256:" + "a".repeat(64);
const pod = (...images: string[]) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "shop" },
  spec: { containers: images.map((img, i) => ({ name: `c${i}`, image: img })) },
});

export default definePolicy({
  name: "golden-images",
  title: "Images from allowed registries, pinned",
  match: { kinds: [Pod] },
  params: z.object({ registries: z.array(z.string()).default(["docker.io", "registry.example.com"]), requireDigest: z.boolean().default(false) }),
  instances: [
    { name: "default", params: {} },
    { name: "pinned", params: { requireDigest: true } },
  ],
  rules: [
    {
      name: "registry",
      assert: (pod, params) =>
        pod.spec.allContainers.every((c) => image(c.image).registry.oneOf(params.registries).message`${c.image} comes from ${image(c.image).registry}`),
    },
    { name: "no-latest", assert: (pod) => pod.spec.allContainers.every((c) => image(c.image).tag.notEquals("latest").message`${image(c.image).name} is not pinned` ) },
    {
      name: "digest",
      when: (_pod, params) => params.requireDigest,
      assert: (pod) => pod.spec.allContainers.every((c) => image(c.image).digest.matches("^sha256:[0-9a-f]{64}$").message`${c.image} has no digest`),
    },
    {
      name: "library",
      assert: (pod) => pod.spec.allContainers.every((c) => image(c.image).repository.startsWith("library/").message`${image(c.image).repository} is not an official image`),
    },
  ],
  tests: [
    { name: "bare name is docker.io/library/nginx:latest", resource: pod("nginx"), expect: "deny", message: "docker.io/library/nginx is not pinned" },
    { name: "tagged official image", resource: pod("nginx:1.27"), expect: "allow" },
    { name: "another registry", resource: pod("quay.io/org/app:1.0"), expect: "deny", message: "quay.io/org/app:1.0 comes from quay.io" },
    { name: "a registry with a port", resource: pod(`localhost:5000/library/app@${digest}`), expect: "deny", message: "comes from localhost:5000" },
    { name: "digest without a tag is pinned", resource: pod(`nginx@${digest}`), instance: "pinned", expect: "allow" },
    { name: "pinned instance: tag only", resource: pod("nginx:1.27"), instance: "pinned", expect: "deny", message: "nginx:1.27 has no digest" },
    { name: "not official", resource: pod("registry.example.com/team/app:1.0"), expect: "deny", message: "team/app is not an official image" },
    { name: "index.docker.io is docker.io", resource: pod("index.docker.io/library/redis:7"), expect: "allow" },
  ],
});
