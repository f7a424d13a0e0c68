/**
 * The engines, for the layers above (harness, testing, cli). Each engine reads documents (the
 * reference engine, the IR) and answers one Verdict; the OPA and CEL runtimes are what they run on.
 */
export * from "./verdict/index.js";
export { locateEngines, EngineMissingError, PACKAGE_ROOT, type Engines } from "./wasm/index.js";
export { discoverRegoCompiler, compileWithCache, type RegoCompiler, type CompileStats, type CompileUnit } from "./opa/index.js";
export { CelRuntime, admissionInput, type CelTier, type CelRequest, type CelResponse } from "./cel/index.js";
export {
  GatekeeperEngine,
  GatekeeperMutationEngine,
  parseLocation,
  readTemplate,
  templateUnit,
  gatekeeperReview,
  type GatekeeperDocuments,
  type GatekeeperProblem,
} from "./gatekeeper/index.js";
export { KubernetesEngine, KubernetesMutationEngine } from "./kubernetes/index.js";
export { KyvernoEngine, KyvernoMutationEngine, POLICY_KINDS, qualifiedName, runsInBackground, ruleMatches } from "./kyverno/index.js";
export { ReferenceEngine, ReferenceMutationEngine } from "./reference/index.js";
