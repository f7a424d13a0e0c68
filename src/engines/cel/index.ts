/**
 * The CEL runtime: cel-go with Kubernetes' CEL environment and the API server's admission-policy
 * code, as a WASI reactor; `CompiledVap` evaluates one ValidatingAdmissionPolicy with its bindings.
 * A runtime for the `kubernetes` and `kyverno` engines, not an engine itself.
 */
export { CelRuntime, type CelTier, type CelProblem, type CelResponse, type CelBindingResult, type CelDecision } from "./runtime.js";
export { CompiledVap, admissionInput, type CompileResult } from "./admission.js";
