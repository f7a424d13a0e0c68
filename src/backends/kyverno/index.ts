import type { Issue, Policy } from "../../ir/index.js";
import { celTargetIssues } from "../../lower/cel/index.js";

export { toValidatingPolicies } from "./validating-policy.js";
export { toClusterPolicies } from "./cluster-policy.js";
export type { KyvernoOptions } from "./annotations.js";

/** What a Kyverno policy cannot express faithfully for this IR policy (`unsupported_by_target` issues). */
export const kyvernoIssues = (p: Policy): Issue[] => celTargetIssues(p, "kyverno");
