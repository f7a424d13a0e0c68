export * from "./report.js";
export * from "./run.js";
export * from "./reporters.js";
export { FixtureError, readFixtures, clearFixtureCache } from "./fixtures.js";
export { collectCases, resolveCase, judge, type PolicycCase } from "./policyc-cases.js";
export {
  CelPolicyEngine,
  GatekeeperPolicyEngine,
  referenceEngine,
  type EngineVerdict,
  type PolicyEngine,
  type Verdict,
} from "./engines.js";
export { isGatorSuite, readGatorSuite, runGatorSuites, checkAssertion, expand, caseRequest } from "./gator-suite.js";
