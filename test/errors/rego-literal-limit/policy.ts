import { definePolicy, Pod } from "policyc";

const allowed = Array.from({ length: 3000 }, (_, i) => `registry.example.com/app-${i}:1.0`);

// 3,000 literals in the Rego: more than OPA's Wasm compiler compiles in bounded memory.
export default definePolicy({
  name: "many-images",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.containers.every((c) => c.image.oneOf(allowed)),
});
