import "./issue-codes.js";
/** Orchestration of `policyc test` and `apply`: fixtures, cases, the suites' file formats, the engines' composition, judging and reporters. */
export * from "./report.js";
export * from "./run.js";
export * from "./reporters.js";
export { readFixtures, clearFixtureCache, fieldIssue, type Fixture } from "./fixtures.js";
export { collectCases, resolveCase, type PolicycCase, type ResolvedRequest } from "./policyc-cases.js";
export {
  composePolicycEngines,
  composeDocumentEngines,
  compareAnswers,
  actualOf,
  registerEngineKind,
  engineKind,
  runtimesNeeded,
  type PolicycEngines,
  type DocumentEngines,
  type DocumentPolicy,
  type EngineAnswer,
  type EngineKind,
  type EngineInput,
  type ComposeContext,
  type Runtimes,
} from "./compose.js";
export { startRuntimes, awaitRuntime } from "./runtimes.js";
export { judge, judgeRequest } from "./judge.js";
export { isGatorSuite, readGatorSuite, runGatorSuites, checkAssertion, caseRequest } from "./gator-suite.js";
export { isKyvernoTest, runKyvernoTests } from "./kyverno-test.js";
export { runApply, judgeAnswers, IGNORE_ANNOTATION, type ApplyOptions, type ApplyOutcome, type ApplyMode, type FailOn } from "./apply.js";
export { APPLY_LIMITS } from "./apply-inputs.js";
export { loadConfig, CONFIG_FILES, type ConfigResult, type PolicycConfig } from "./config.js";
export { watchTests, type WatchOptions } from "./watch.js";
export { runMutationCases, objectDiff, withoutNulls, type MutationCaseOutcome } from "./mutation-cases.js";
export { mutatedManifests, writeMutatedManifests } from "./apply-mutations.js";
export { composeMutationEngines, compareMutations, canonicalJson, mutationActual, mutateOnEngines, shownAnswer } from "./compose.js";
