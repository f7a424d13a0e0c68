/**
 * `policyc/testing`: evaluate a policy on a fixture in a vitest (or any) test, on every engine
 * policyc has, and fail on disagreement.
 *
 *   import { evaluate } from "policyc/testing";
 *   expect(await evaluate(policy, "fixtures/pod-privileged.yaml")).toDeny(/privileged/);
 *
 * with the matchers registered by `policyc/vitest` (or `expect.extend(policycMatchers)` elsewhere).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { messagesOf, type Verdict } from "../engines/index.js";
import { compilePolicy, type TargetOutput } from "../backends/index.js";
import { withExceptions, type CompiledPolicy } from "../build/index.js";
import { formatIssue, lowerPolicy, TARGET_NAMES } from "../ir/index.js";
import type { KubeObject } from "../kube/index.js";
import {
  actualOf,
  awaitRuntime,
  compareAnswers,
  composePolicycEngines,
  defaultWasmCache,
  ENGINE_NAMES,
  readFixtures,
  resolveCase,
  startRuntimes,
} from "../harness/index.js";
import type { EngineName, PolicycCase, PolicycEngines } from "../harness/index.js";
import type { CaseObject, ExceptionDefinition, PolicyDefinition, TestCase } from "../sdk/index.js";

export interface EvaluateOptions extends Omit<TestCase, "resource" | "expect" | "message" | "violations" | "name"> {
  /**
   * Folder relative paths resolve against. Default: the folder of the test file that calls
   * `evaluate` when the path exists there, else the current directory.
   */
  readonly cwd?: string;
  /** Engines to run (default: every engine available). */
  readonly engines?: readonly EngineName[];
  /** Exceptions to evaluate the policy with (those naming it; each target gets them as `policyc build` emits them). */
  readonly exceptions?: readonly ExceptionDefinition[];
}

export interface Evaluation {
  /**
   * The verdict all engines agreed on; for a fixture of several documents, the verdict every
   * document got, or `mixed` when they differ (see `documents`).
   */
  readonly verdict: "allow" | "deny" | "none" | "mixed";
  /** Messages of the deny, from the first engine (they are compared across engines only by verdict); every document's. */
  readonly messages: readonly string[];
  /** The first document's verdicts, engine by engine. */
  readonly engines: Readonly<Partial<Record<EngineName, Verdict>>>;
  /** Each document of the fixture, in order (one for an object or a one-document file). */
  readonly documents: readonly DocumentEvaluation[];
}

export interface DocumentEvaluation {
  readonly verdict: "allow" | "deny" | "none";
  readonly messages: readonly string[];
  readonly engines: Readonly<Partial<Record<EngineName, Verdict>>>;
}

/**
 * The folder of the test file calling into policyc: the first stack frame outside policyc's own
 * modules and Node's, read from a stack trace (as test runners locate their callers).
 */
function callerDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const line of (new Error().stack ?? "").split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
    if (file.startsWith(here) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    return path.dirname(file);
  }
  return undefined;
}

/** Engines disagreed (or one failed to evaluate): the message lists every engine's verdict. */
export class EngineDisagreementError extends Error {
  constructor(readonly engines: Readonly<Partial<Record<EngineName, Verdict>>>) {
    const said = Object.entries(engines).map(([e, v]) => `${e}=${actualOf(v!)}${v!.kind === "error" ? ` (${v!.cause.detail})` : ""}`);
    super(`engines disagree: ${said.join(" ")}`);
    this.name = "EngineDisagreementError";
  }
}

/**
 * Starts the engines in the background (the CEL runtime and the Rego compiler, each once per
 * thread), so the first `evaluate` finds them ready. Errors surface at that `evaluate`.
 */
export function startEngines(): void {
  startRuntimes({ cel: true, rego: true });
}

const prepared = new WeakMap<PolicyDefinition, Map<string, Promise<{ compiled: CompiledPolicy; engines: PolicycEngines }>>>();

function prepare(definition: PolicyDefinition, exceptionDefinitions: readonly ExceptionDefinition[] = []) {
  for (const e of exceptionDefinitions)
    if (!e.exception || e.issues.length) throw new Error(`exception ${e.name} is invalid:\n${e.issues.map(formatIssue).join("\n")}`);
  const exceptions = exceptionDefinitions.map((e) => e.exception!).filter((e) => e.policies.includes(definition.name));
  const key = JSON.stringify(exceptions);
  let byExceptions = prepared.get(definition);
  if (!byExceptions) prepared.set(definition, (byExceptions = new Map()));
  let p = byExceptions.get(key);
  if (!p) {
    p = (async () => {
      if (!definition.policy || definition.issues.length)
        throw new Error(`policy ${definition.name} is invalid:\n${definition.issues.map(formatIssue).join("\n")}`);
      const lowered = lowerPolicy(definition.policy);
      if (!lowered.ok) throw new Error(`policy ${definition.name} is invalid:\n${lowered.issues.map(formatIssue).join("\n")}`);
      const { policy, issues: unsupported } = withExceptions(lowered.value, exceptions, TARGET_NAMES);
      if (unsupported.length) throw new Error(`policy ${definition.name} cannot be built:\n${unsupported.map(formatIssue).join("\n")}`);
      const outputs: TargetOutput[] = compilePolicy(policy, TARGET_NAMES);
      const compiled: CompiledPolicy = { file: definition.source.file, policy, tests: [], exceptionTests: [], outputs };
      const start = startRuntimes({ cel: true, rego: true });
      const [cel, rego] = [await awaitRuntime(start.cel), await awaitRuntime(start.rego)];
      const missing = cel.missing ?? rego.missing;
      if (missing) throw new Error(missing.message);
      const r = await composePolicycEngines([compiled], ENGINE_NAMES, {
        runtimes: { cel: cel.value!, rego: rego.value!, cacheDir: defaultWasmCache() },
        now: Date.now(),
      });
      if (r.internal.length) throw new Error(r.internal.map(formatIssue).join("\n"));
      return { compiled, engines: r.engines };
    })();
    byExceptions.set(key, p);
  }
  return p;
}

/**
 * Evaluates a policy on one resource (a path to a YAML file (its first document), or an
 * object) on every engine. Throws EngineDisagreementError when the engines do not agree.
 */
export async function evaluate(definition: PolicyDefinition, resource: CaseObject, options: EvaluateOptions = {}): Promise<Evaluation> {
  const caller = callerDir();
  const { compiled, engines } = await prepare(definition, options.exceptions);
  const base = (p: string) => options.cwd ?? (caller && existsSync(path.resolve(caller, p)) ? caller : process.cwd());
  const abs = (o: CaseObject): CaseObject => (typeof o === "string" ? path.resolve(base(o), o) : o);
  let objects: KubeObject[];
  if (typeof resource === "string") {
    const file = path.resolve(base(resource), resource);
    const r = readFixtures(file, path.dirname(file));
    if (!r.ok) throw new Error(formatIssue(r.issue));
    objects = r.value.map((f) => f.object);
  } else objects = [resource as KubeObject];
  const { cwd: _cwd, engines: names, exceptions: _exceptions, ...rest } = options;
  const documents = objects.map((object): DocumentEvaluation => {
    const test: TestCase = {
      ...rest,
      resource: object,
      expect: "allow",
      ...(options.oldResource ? { oldResource: abs(options.oldResource) } : {}),
      ...(options.namespaces ? { namespaces: options.namespaces.map(abs) } : {}),
      ...(options.objects ? { objects: options.objects.map(abs) } : {}),
    };
    const c: PolicycCase = {
      policy: { ...compiled, file: path.join(process.cwd(), "policy.ts") },
      index: 0,
      name: "evaluate",
      test,
      id: `${definition.name}/evaluate`,
    };
    const resolved = resolveCase(c, process.cwd());
    if (!resolved.ok) throw new Error(formatIssue(resolved.issue));
    const answers = engines
      .evaluate(compiled, resolved.instance, resolved.requests[0]!.request)
      .filter((a) => !names || names.includes(a.engine));
    const results: Partial<Record<EngineName, Verdict>> = {};
    for (const a of answers) if ("verdict" in a) results[a.engine] = a.verdict;
    // The one disagreement rule; an engine that could not decide fails the evaluation too.
    const failed = Object.values(results).some((v) => v!.kind === "error");
    if (failed || compareAnswers(answers).disagreed || Object.keys(results).length === 0) throw new EngineDisagreementError(results);
    const first = Object.values(results)[0]!;
    return {
      verdict: actualOf(first) as DocumentEvaluation["verdict"],
      messages: messagesOf(first),
      engines: results,
    };
  });
  const kinds = new Set(documents.map((d) => d.verdict));
  return {
    verdict: kinds.size === 1 ? documents[0]!.verdict : "mixed",
    messages: documents.flatMap((d) => d.messages),
    engines: documents[0]!.engines,
    documents,
  };
}

type MatcherResult = { pass: boolean; message: () => string };

const describe = (e: Evaluation) =>
  `${e.verdict === "mixed" ? `allow/deny by document (${e.documents.map((d) => d.verdict).join(", ")})` : e.verdict}${e.messages.length ? ` (${e.messages.map((m) => JSON.stringify(m)).join(", ")})` : ""} on ${Object.keys(e.engines).join(", ")}`;

function isEvaluation(x: unknown): x is Evaluation {
  return typeof x === "object" && x !== null && "verdict" in x && "engines" in x;
}

const NOT_EVALUATION: MatcherResult = { pass: false, message: () => "expected the result of evaluate()" };

/**
 * vitest/jest matchers: `expect.extend(policycMatchers)` (`policyc/vitest` does it). Each message
 * reads right both ways: when the matcher fails, and when `.not` does.
 */
export const policycMatchers = {
  toAllow(received: unknown): MatcherResult {
    if (!isEvaluation(received)) return NOT_EVALUATION;
    const pass = received.verdict === "allow";
    return { pass, message: () => `expected the policy ${pass ? "not " : ""}to allow, it said ${describe(received)}` };
  },
  toSkip(received: unknown): MatcherResult {
    if (!isEvaluation(received)) return NOT_EVALUATION;
    const pass = received.verdict === "none";
    return { pass, message: () => `expected the policy ${pass ? "to apply" : "not to apply"}, it said ${describe(received)}` };
  },
  toDeny(received: unknown, message?: string | RegExp): MatcherResult {
    if (!isEvaluation(received)) return NOT_EVALUATION;
    const denied = received.verdict === "deny";
    const matches =
      message === undefined || received.messages.some((m) => (typeof message === "string" ? m.includes(message) : message.test(m)));
    const pass = denied && matches;
    const what = message === undefined ? "to deny" : `to deny with a message matching ${String(message)}`;
    return { pass, message: () => `expected the policy ${pass ? "not " : ""}${what}, it said ${describe(received)}` };
  },
};

/** The matchers' types; `policyc/vitest` registers them with vitest's `expect`. */
export interface PolicycMatchers<R = unknown> {
  toAllow(): R;
  toSkip(): R;
  toDeny(message?: string | RegExp): R;
}
