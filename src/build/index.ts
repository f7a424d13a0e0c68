export { buildPolicies, type BuildOptions, type BuildResult, type CompiledPolicy } from "./build-policies.js";
