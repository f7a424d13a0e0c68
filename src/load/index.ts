import "./issue-codes.js";
export {
  loadPolicies,
  findPolicyFiles,
  prewarmLoader,
  restartLoader,
  stopLoader,
  importConfigModule,
  type LoadedPolicy,
  type LoadResult,
  type LoadedException,
  type LoadedMutation,
} from "./load-policies.js";
export { locateIssues, locatePaths } from "./locate.js";
export { typecheckPolicies } from "./typecheck.js";
