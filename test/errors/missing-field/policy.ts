import { definePolicy, Pod } from "policyc";

// A policy written without the type checker's help: no validate and no rules.
export default definePolicy({
  name: "no-rules",
  match: { kinds: [Pod] },
} as never);
