/**
 * The CEL runtime: cel-go with Kubernetes' CEL environment and the API server's admission-policy
 * code, as a WASI reactor; `CompiledVap` evaluates one ValidatingAdmissionPolicy with its bindings.
 * A runtime for the `kubernetes` and `kyverno` engines, not an engine itself.
 */
export { CelRuntime, type CelTier } from "./runtime.js";
export type {
  CelRequest,
  CelResponse,
  CelError,
  CelProblem,
  CelBindingResult,
  CelDecision,
  CelAdmission,
  AuthzDecision,
} from "./protocol.js";
export { CompiledVap, admissionInput, clusterReadsOf, type CompileResult } from "./admission.js";
export { CompiledMutation, CompiledMutations, type CompileMutationResult } from "./mutation.js";
export { CompiledAuthz, authzModeOf, type AuthzMode, type CompileAuthzResult } from "./authz.js";
