import { definePolicy, Pod } from "policyc";

// Type-checked this is a TypeScript error; built without a type-check, the field table catches it.
export default definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => (pod.spec as any).hostNetwrk.notEquals(true),
  tests: [{ resource: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { hostNetwork: true } }, expect: "deny" }],
});
