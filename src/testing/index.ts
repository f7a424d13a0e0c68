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
import { compileMutation, compilePolicy, type TargetOutput } from "../backends/index.js";
import { withExceptions, type CompiledPolicy } from "../build/index.js";
import { formatIssue, instanceName, lowerPolicy, TARGET_NAMES } from "../ir/index.js";
import { storedNamespace, type KubeObject } from "../kube/index.js";
import {
  actualOf,
  awaitRuntime,
  canonicalJson,
  compareAnswers,
  compareMutations,
  composeMutationEngines,
  mutateOnEngines,
  shownAnswer,
  objectDiff,
  withoutNulls,
  composePolicycEngines,
  defaultWasmCache,
  ENGINE_NAMES,
  readFixtures,
  resolveCase,
  startRuntimes,
} from "../harness/index.js";
import type { EngineName, PolicycCase, PolicycEngines } from "../harness/index.js";
import type { MutationAnswer, MutationEngine } from "../engines/index.js";
import type { CaseObject, ExceptionDefinition, MutationDefinition, PolicyDefinition, TestCase } from "../sdk/index.js";

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

/** What `mutate` answers: the object after the mutation, agreed by every engine. */
export interface MutationResult {
  /** The mutated object (the object itself when the mutation does not apply or changes nothing). */
  readonly object: KubeObject;
  /** Whether the mutation applied (matched the object). */
  readonly applied: boolean;
  /** What changed, one line per field (`+ spec.securityContext.runAsNonRoot: true`). */
  readonly changes: readonly string[];
  readonly engines: Readonly<Partial<Record<EngineName, MutationAnswer>>>;
}

/** Engines' mutations differ (or one failed): the message has the structural diff against the reference engine. */
export class MutationDisagreementError extends Error {
  constructor(readonly engines: Readonly<Partial<Record<EngineName, MutationAnswer>>>) {
    const ref = engines.reference;
    const lines = Object.entries(engines)
      .filter(([e, a]) => e !== "reference" && ref && canonicalJson(a) !== canonicalJson(ref))
      .map(([e, a]) => `${e} vs reference:\n${objectDiff(shownAnswer(ref!), shownAnswer(a!)).join("\n")}`);
    super(`engines' mutations differ:\n${lines.join("\n")}`);
    this.name = "MutationDisagreementError";
  }
}

const preparedMutations = new WeakMap<MutationDefinition, Promise<MutationEngine[]>>();

function prepareMutation(definition: MutationDefinition): Promise<MutationEngine[]> {
  let p = preparedMutations.get(definition);
  if (!p) {
    p = (async () => {
      const m = definition.mutation;
      if (!m || definition.issues.length)
        throw new Error(`mutation ${definition.name} is invalid:\n${definition.issues.map(formatIssue).join("\n")}`);
      const outputs = compileMutation(m, TARGET_NAMES);
      const cel = await awaitRuntime(startRuntimes({ cel: true }).cel);
      if (cel.missing) throw new Error(cel.missing.message);
      const r = composeMutationEngines(
        { sets: [{ id: "", documents: outputs.flatMap((o) => o.documents as KubeObject[]) }], mutations: [m] },
        ENGINE_NAMES,
        { cel: cel.value! },
      );
      if (r.problems.length) throw new Error(`${r.problems[0]!.engine}: ${r.problems[0]!.message}`);
      return r.engines;
    })();
    preparedMutations.set(definition, p);
  }
  return p;
}

/**
 * Applies a mutation to one object (a path to a YAML file, its first document, or an object) on
 * every engine whose target the mutation has. Throws MutationDisagreementError when their results differ.
 * `namespaces`: Namespace objects (their labels), for mutations that read them.
 */
export async function mutate(
  definition: MutationDefinition,
  resource: CaseObject,
  options: { readonly cwd?: string; readonly instance?: string; readonly namespaces?: readonly KubeObject[] } = {},
): Promise<MutationResult> {
  const caller = callerDir();
  const engines = await prepareMutation(definition);
  const m = definition.mutation!;
  let object: KubeObject;
  if (typeof resource === "string") {
    const base = options.cwd ?? (caller && existsSync(path.resolve(caller, resource)) ? caller : process.cwd());
    const file = path.resolve(base, resource);
    const r = readFixtures(file, path.dirname(file));
    if (!r.ok) throw new Error(formatIssue(r.issue));
    object = r.value[0]!.object;
  } else object = resource as KubeObject;
  object = withoutNulls(object);
  const inst = options.instance === undefined ? m.instances[0] : m.instances.find((i) => i.name === options.instance);
  if (!inst) throw new Error(`mutation ${m.name} has no instance ${options.instance}`);
  // Namespaces as the API server stores them (their name label); the object's exists even when not given.
  const namespaces: Record<string, KubeObject> = {};
  for (const ns of options.namespaces ?? [])
    namespaces[String(ns.metadata?.name ?? "")] = storedNamespace(String(ns.metadata?.name ?? ""), ns) as KubeObject;
  const own = object.metadata?.namespace;
  if (own && !namespaces[own]) namespaces[own] = storedNamespace(own) as KubeObject;
  const policy = instanceName(m.name, inst);
  const answers = mutateOnEngines(engines, m, { policy, admission: { operation: "CREATE", object, cluster: { namespaces } } });
  const results: Partial<Record<EngineName, MutationAnswer>> = Object.fromEntries(answers.map((a) => [a.engine, a.answer]));
  if (compareMutations(answers) || answers.some((a) => a.answer.kind === "error")) throw new MutationDisagreementError(results);
  const first = answers[0]!.answer;
  const after = first.kind === "mutated" ? (first.object as KubeObject) : object;
  return { object: after, applied: first.kind === "mutated", changes: objectDiff(object, after), engines: results };
}

function isMutationResult(x: unknown): x is MutationResult {
  return typeof x === "object" && x !== null && "changes" in x && "applied" in x;
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
  /** The mutated object equals `expected`; the message is the structural diff (expected → actual). */
  toMutateTo(received: unknown, expected: Record<string, unknown>): MatcherResult {
    if (!isMutationResult(received)) return { pass: false, message: () => "expected the result of mutate()" };
    const diff = objectDiff(withoutNulls(expected), received.object);
    const pass = diff.length === 0;
    return {
      pass,
      message: () =>
        pass
          ? "expected the mutation not to produce this object, it did"
          : `the mutated object differs (expected → actual):\n${diff.join("\n")}`,
    };
  },
  /** The mutation changes nothing (whether or not it applies). */
  toLeaveUnchanged(received: unknown): MatcherResult {
    if (!isMutationResult(received)) return { pass: false, message: () => "expected the result of mutate()" };
    const pass = received.changes.length === 0;
    return {
      pass,
      message: () =>
        pass
          ? "expected the mutation to change the object, it changed nothing"
          : `expected no change; changed:\n${received.changes.join("\n")}`,
    };
  },
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
  toMutateTo(expected: Record<string, unknown>): R;
  toLeaveUnchanged(): R;
  toAllow(): R;
  toSkip(): R;
  toDeny(message?: string | RegExp): R;
}
