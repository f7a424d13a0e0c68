export { loadPolicies, findPolicyFiles, prewarmLoader, type LoadedPolicy, type LoadResult } from "./load-policies.js";
export { locateIssues } from "./locate.js";
export { typecheckPolicies } from "./typecheck.js";
