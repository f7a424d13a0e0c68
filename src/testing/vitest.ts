/**
 * `policyc/vitest`: policyc's matchers registered with vitest, types included. Import it once
 * (as a setup file, or at the top of a test file); nothing is declared by hand:
 *
 *   // vitest.config.ts: test: { setupFiles: ["policyc/vitest"] }
 *   // tsconfig.json:    compilerOptions: { types: ["policyc/vitest"] }
 *   expect(await evaluate(policy, "fixtures/pod-privileged.yaml")).toDeny(/privileged/);
 */
import { expect } from "vitest";
import { policycMatchers, startEngines, type PolicycMatchers } from "./index.js";

expect.extend(policycMatchers);
// As a setup file: the engines start now, while the test file is still loading, once per worker.
startEngines();

declare module "vitest" {
  // Declaration merging is how vitest takes custom matchers' types; the interface adds no members of its own.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends PolicycMatchers<T> {}
}

export {
  evaluate,
  mutate,
  MutationDisagreementError,
  EngineDisagreementError,
  policycMatchers,
  startEngines,
  type DocumentEvaluation,
  type Evaluation,
  type EvaluateOptions,
  type MutationResult,
  type PolicycMatchers,
} from "./index.js";
