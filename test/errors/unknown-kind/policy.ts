import { definePolicy } from "policyc";

export default definePolicy({
  name: "unknown-kind",
  match: {
    kinds: [{ group: "", version: "v1", kind: "pod", resource: "pods", namespaced: true }],
  },
  validate: (o) => o.metadata.name.exists(),
} as never);
