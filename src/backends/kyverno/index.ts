import type { Issue, Policy } from "../../ir/index.js";
import { celTargetIssues, legacyKyvernoIssues } from "../../lower/cel/index.js";

export { toValidatingPolicies } from "./validating-policy.js";
export { toClusterPolicies } from "./cluster-policy.js";
export type { KyvernoOptions } from "./annotations.js";

/** What a Kyverno policy cannot express faithfully for this IR policy (`unsupported_by_target` issues). */
export const kyvernoIssues = (p: Policy): Issue[] => celTargetIssues(p, "kyverno");

/** What the legacy ClusterPolicy format cannot express for this IR policy (a lookup). */
export const legacyIssues = (p: Policy): Issue[] => legacyKyvernoIssues(p);
export { toMutatingPolicies } from "./mutating-policy.js";
