/**
 * The OPA runtime: OPA's compiler (Rego → Wasm, built in or an `opa` command), a content-hash
 * Wasm cache, and opa-wasm with policyc's host builtins. A runtime for the `gatekeeper` engine.
 */
export { discoverRegoCompiler, WasiRegoCompiler, OpaCliCompiler, extractPolicyWasm } from "./compiler.js";
export type { RegoCompiler, RegoModule, CompileUnit, CompileProblem, UnitResult } from "./compiler.js";
export { compileWithCache, unitHash, type CompileStats } from "./cache.js";
export { RegoPolicy, RegoEvalError, RegoMemoryError, RegoTimeoutError, MissingBuiltinError, REGO_LIMITS } from "./policy.js";
export { HOST_BUILTINS, BuiltinError, parseRegoValue, regoLiteral } from "./builtins/index.js";
