/**
 * `policyc/testing`: evaluate a policy on a fixture in a vitest (or any) test, on every engine
 * policyc has, and fail on disagreement.
 *
 *   import { evaluate, policycMatchers } from "policyc/testing";
 *   expect.extend(policycMatchers);
 *   expect(await evaluate(policy, "fixtures/pod-privileged.yaml")).toDeny(/privileged/);
 */
import path from "node:path";
import { compilePolicy, type TargetOutput } from "../backends/index.js";
import type { CompiledPolicy } from "../build/index.js";
import type { KubeObject } from "../engines/request.js";
import { formatIssue, lowerPolicy, TARGET_NAMES } from "../ir/index.js";
import { CelPolicyEngine, GatekeeperPolicyEngine, referenceEngine, type EngineVerdict, type PolicyEngine } from "../harness/engines.js";
import { CelRuntime } from "../engines/cel/index.js";
import { readFixtures } from "../harness/fixtures.js";
import { resolveCase, type PolicycCase } from "../harness/policyc-cases.js";
import type { EngineName } from "../harness/report.js";
import { defaultWasmCache, regoCompiler } from "../harness/run.js";
import type { CaseObject, PolicyDefinition, TestCase } from "../sdk/index.js";

export interface EvaluateOptions extends Omit<TestCase, "resource" | "expect" | "message" | "violations" | "name"> {
  /** Folder relative paths resolve against (default: the current directory). */
  readonly cwd?: string;
  /** Engines to run (default: every engine available). */
  readonly engines?: readonly EngineName[];
}

export interface Evaluation {
  /** The verdict all engines agreed on. */
  readonly verdict: "allow" | "deny" | "none";
  /** Messages of the deny, from the first engine (they are compared across engines only by verdict). */
  readonly messages: readonly string[];
  readonly engines: Readonly<Partial<Record<EngineName, EngineVerdict>>>;
}

/** Engines disagreed (or one failed to evaluate): the message lists every engine's verdict. */
export class EngineDisagreementError extends Error {
  constructor(readonly engines: Readonly<Partial<Record<EngineName, EngineVerdict>>>) {
    const said = Object.entries(engines).map(
      ([e, v]) => `${e}=${v!.verdict}${v!.verdict === "error" && v!.reason ? ` (${v!.reason})` : ""}`,
    );
    super(`engines disagree: ${said.join(" ")}`);
    this.name = "EngineDisagreementError";
  }
}

const prepared = new WeakMap<PolicyDefinition, Promise<{ compiled: CompiledPolicy; engines: PolicyEngine[] }>>();

function prepare(definition: PolicyDefinition, names: readonly EngineName[] | undefined) {
  let p = prepared.get(definition);
  if (!p) {
    p = (async () => {
      if (!definition.policy || definition.issues.length)
        throw new Error(`policy ${definition.name} is invalid:\n${definition.issues.map(formatIssue).join("\n")}`);
      const lowered = lowerPolicy(definition.policy);
      if (!lowered.ok) throw new Error(`policy ${definition.name} is invalid:\n${lowered.issues.map(formatIssue).join("\n")}`);
      const outputs: TargetOutput[] = compilePolicy(lowered.value, TARGET_NAMES);
      const compiled: CompiledPolicy = { file: definition.source.file, policy: lowered.value, tests: [], outputs };
      const gk = await GatekeeperPolicyEngine.prepare([compiled], await regoCompiler(), defaultWasmCache());
      if (gk.internal.length) throw new Error(gk.internal.map(formatIssue).join("\n"));
      const runtime = await CelRuntime.get();
      const cel = (["kyverno", "kubernetes"] as const).map((name) => CelPolicyEngine.prepare(name, [compiled], runtime));
      const internal = cel.flatMap((c) => c.internal);
      if (internal.length) throw new Error(internal.map(formatIssue).join("\n"));
      return { compiled, engines: [...cel.map((c) => c.engine), gk.engine, referenceEngine] };
    })();
    prepared.set(definition, p);
  }
  return p.then((r) => ({ ...r, engines: names ? r.engines.filter((e) => names.includes(e.name)) : r.engines }));
}

/**
 * Evaluates a policy on one resource (a path to a YAML file — its first document —, or an
 * object) on every engine. Throws EngineDisagreementError when the engines do not agree.
 */
export async function evaluate(definition: PolicyDefinition, resource: CaseObject, options: EvaluateOptions = {}): Promise<Evaluation> {
  const { compiled, engines } = await prepare(definition, options.engines);
  const cwd = options.cwd ?? process.cwd();
  const abs = (o: CaseObject): CaseObject => (typeof o === "string" ? path.resolve(cwd, o) : o);
  const first = typeof resource === "string" ? readFixtures(path.resolve(cwd, resource), cwd)[0]!.object : (resource as KubeObject);
  const { cwd: _cwd, engines: _engines, ...rest } = options;
  const test: TestCase = {
    ...rest,
    resource: first,
    expect: "allow",
    ...(options.oldResource ? { oldResource: abs(options.oldResource) } : {}),
    ...(options.namespaces ? { namespaces: options.namespaces.map(abs) } : {}),
    ...(options.objects ? { objects: options.objects.map(abs) } : {}),
  };
  const c: PolicycCase = {
    policy: { ...compiled, file: path.join(cwd, "policy.ts") },
    index: 0,
    name: "evaluate",
    test,
    id: `${definition.name}/evaluate`,
  };
  const { instance, requests } = resolveCase(c, cwd);
  const request = requests[0]!.request;
  const results: Partial<Record<EngineName, EngineVerdict>> = {};
  for (const e of engines) {
    const v = e.evaluate(compiled, instance, request);
    if (!("skipped" in v)) results[e.name] = v;
  }
  const verdicts = new Set(Object.values(results).map((v) => v!.verdict));
  if (verdicts.size !== 1 || verdicts.has("error")) throw new EngineDisagreementError(results);
  const verdict = [...verdicts][0] as Evaluation["verdict"];
  return { verdict, messages: Object.values(results)[0]!.messages, engines: results };
}

type MatcherResult = { pass: boolean; message: () => string };

const describe = (e: Evaluation) =>
  `${e.verdict}${e.messages.length ? ` (${e.messages.map((m) => JSON.stringify(m)).join(", ")})` : ""} on ${Object.keys(e.engines).join(", ")}`;

function isEvaluation(x: unknown): x is Evaluation {
  return typeof x === "object" && x !== null && "verdict" in x && "engines" in x;
}

/** vitest/jest matchers: `expect.extend(policycMatchers)`. */
export const policycMatchers = {
  toAllow(received: unknown): MatcherResult {
    if (!isEvaluation(received)) return { pass: false, message: () => "expected the result of evaluate()" };
    return { pass: received.verdict === "allow", message: () => `expected the policy to allow, it said ${describe(received)}` };
  },
  toSkip(received: unknown): MatcherResult {
    if (!isEvaluation(received)) return { pass: false, message: () => "expected the result of evaluate()" };
    return { pass: received.verdict === "none", message: () => `expected the policy not to apply, it said ${describe(received)}` };
  },
  toDeny(received: unknown, message?: string | RegExp): MatcherResult {
    if (!isEvaluation(received)) return { pass: false, message: () => "expected the result of evaluate()" };
    const denied = received.verdict === "deny";
    const matches =
      message === undefined || received.messages.some((m) => (typeof message === "string" ? m.includes(message) : message.test(m)));
    return {
      pass: denied && matches,
      message: () =>
        denied
          ? `expected a violation message matching ${String(message)}, got ${describe(received)}`
          : `expected the policy to deny, it said ${describe(received)}`,
    };
  },
};

/**
 * The matchers' types. With vitest, declare them once in a `.d.ts` of the test folder:
 *
 *   import type { PolicycMatchers } from "policyc/testing";
 *   declare module "vitest" { interface Matchers<T = any> extends PolicycMatchers<T> {} }
 */
export interface PolicycMatchers<R = unknown> {
  toAllow(): R;
  toSkip(): R;
  toDeny(message?: string | RegExp): R;
}
