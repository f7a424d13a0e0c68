import "./issue-codes.js";
export {
  buildPolicies,
  type BuildOptions,
  type BuildResult,
  type CompiledPolicy,
  type CompiledMutation,
  type ExceptionCase,
  withExceptions,
} from "./build-policies.js";
