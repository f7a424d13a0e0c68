import type { Issue, Policy } from "../../ir/index.js";
import { celTargetIssues } from "../../lower/cel/index.js";

export { toValidatingAdmissionPolicies } from "./validating-admission-policy.js";

/** What a ValidatingAdmissionPolicy cannot express faithfully for this IR policy (`unsupported_by_target` issues). */
export const kubernetesIssues = (p: Policy): Issue[] => celTargetIssues(p, "kubernetes");
export { toMutatingAdmissionPolicies, MUTATING_API_VERSION } from "./mutating-admission-policy.js";
