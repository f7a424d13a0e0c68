import type { Instance, Policy } from "../../ir/index.js";
import { evaluatePolicy, type RuleVerdict } from "./evaluate.js";
import { policyMatches, type Request } from "./match.js";

export { evaluatePolicy, holds, subjectOf, type RuleVerdict } from "./evaluate.js";
export { policyMatches, selectorMatches, type Request } from "./match.js";

/** The outcome of one policy instance on one object. */
export type Outcome =
  | { readonly verdict: "allow"; readonly rules: readonly RuleVerdict[] }
  | { readonly verdict: "deny"; readonly rules: readonly RuleVerdict[]; readonly messages: readonly string[] }
  | { readonly verdict: "none"; readonly reason: string };

/** Evaluates a lowered policy instance on an object as an admission request would. */
export function evaluateReference(p: Policy, instance: Instance, object: unknown, req: Request = { operation: "CREATE" }): Outcome {
  if (!policyMatches(p, object, req)) return { verdict: "none", reason: "the policy does not match the object" };
  const rules = evaluatePolicy(p, instance, object);
  // Only the policy's own precondition makes it not apply (as VAP matchConditions do); a rule whose
  // precondition is false simply passes, as it does in the generated CEL and Rego.
  if (rules.some((r) => r.status === "skip" && r.reason === "policy precondition is false"))
    return { verdict: "none", reason: "the policy precondition is false" };
  const failed = rules.filter((r): r is Extract<RuleVerdict, { status: "fail" }> => r.status === "fail");
  return failed.length ? { verdict: "deny", rules, messages: failed.flatMap((r) => r.messages) } : { verdict: "allow", rules };
}
