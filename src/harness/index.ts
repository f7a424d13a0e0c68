/** Orchestration of `policyc test`: fixtures, cases, the suites' file formats, judging and reporters. */
export * from "./report.js";
export * from "./run.js";
export * from "./reporters.js";
export { readFixtures, clearFixtureCache, fieldIssue, type Fixture } from "./fixtures.js";
export { collectCases, resolveCase, type PolicycCase, type ResolvedRequest } from "./policyc-cases.js";
export { preparePolicycEngines, type PolicycEngines, type EngineAnswer } from "./policyc-engines.js";
export { judge, judgeRequest, actualOf } from "./judge.js";
export { isGatorSuite, readGatorSuite, runGatorSuites, checkAssertion, caseRequest } from "./gator-suite.js";
export { isKyvernoTest, runKyvernoTests } from "./kyverno-test.js";
export { runApply, judgeAnswers, type ApplyOptions, type ApplyOutcome, type ApplyMode, type FailOn } from "./apply.js";
export { loadConfig, CONFIG_FILES, type ConfigResult } from "./config.js";
export { watchTests, type WatchOptions } from "./watch.js";
