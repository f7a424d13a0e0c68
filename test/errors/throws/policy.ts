import { definePolicy, Pod } from "policyc";

const registries: string[] = JSON.parse("not json");

export default definePolicy({ name: "throws", match: { kinds: [Pod] }, validate: (pod) => pod.spec.containers.every((c) => c.image.startsWith(registries)) });
