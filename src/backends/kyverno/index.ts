export { toValidatingPolicies } from "./validating-policy.js";
export { toClusterPolicies } from "./cluster-policy.js";
