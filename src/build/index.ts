export { buildPolicies, type BuildOptions, type BuildResult, type CompiledPolicy, type ExceptionCase } from "./build-policies.js";
