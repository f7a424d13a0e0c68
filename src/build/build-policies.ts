import path from "node:path";
import {
  compileMutation,
  compilePolicy,
  crossPolicyIssues,
  mutationTargetIssues,
  targetIssues,
  legacyKyvernoIssues,
  toGatekeeperSyncConfig,
  type KyvernoFormat,
  type TargetOutput,
} from "../backends/index.js";
import {
  diffOutput,
  emitYaml,
  outputPath,
  scanOutputDir,
  settleOutputDir,
  SYNC_CONFIG_PATH,
  writeFilesAtomically,
  type Drift,
  type WriteOptions,
} from "../emit/index.js";
import {
  exceptionIssues,
  expiryOf,
  issue,
  lowerPolicy,
  sortIssues,
  validatePolicies,
  type Exception,
  type Issue,
  type Mutation,
  type Policy,
  type SourceLocation,
  type TargetName,
} from "../ir/index.js";
import { loadPolicies, locateIssues, typecheckPolicies } from "../load/index.js";
import type { ExceptionTestCase, MutationTestCase, TestCase } from "../sdk/index.js";

export interface BuildOptions {
  readonly cwd: string;
  readonly policies: string;
  readonly out: string;
  readonly targets: readonly TargetName[];
  readonly kyvernoFormats?: readonly KyvernoFormat[];
  /** Compare with the output directory instead of writing it. */
  readonly check?: boolean;
  /** Type-check the policy files first (slower: loads the TypeScript compiler). */
  readonly typecheck?: boolean;
  /** Lower and validate only; write nothing. */
  readonly dryRun?: boolean;
  readonly write?: WriteOptions;
  /** Build (and write) even when the policies directory holds no policy file: emptying the output on purpose. */
  readonly allowEmpty?: boolean;
  /** How long one policy module may take to import (default 30 s). */
  readonly loadTimeoutMs?: number;
  /** The namespace Kyverno reads PolicyExceptions from (default `kyverno`). */
  readonly kyvernoExceptionNamespace?: string;
  /** An expired exception is an error rather than a warning. */
  readonly strict?: boolean;
  /** The time expiry is judged at (default: now). */
  readonly now?: number;
}

/** A case of an exception (defineException `tests`), run on one policy the exception names. */
export interface ExceptionCase {
  readonly exception: string;
  /** The exception's file and defineException call, where the case is written. */
  readonly file: string;
  readonly source: SourceLocation;
  readonly index: number;
  readonly test: ExceptionTestCase;
}

export interface CompiledPolicy {
  readonly file: string;
  readonly policy: Policy;
  /** The policy's own test cases (definePolicy `tests`). */
  readonly tests: readonly TestCase[];
  /** The cases of the exceptions naming this policy. */
  readonly exceptionTests: readonly ExceptionCase[];
  readonly outputs: readonly TargetOutput[];
}

/** A mutation compiled for its targets, with its test cases. */
export interface CompiledMutation {
  readonly file: string;
  readonly mutation: Mutation;
  readonly tests: readonly MutationTestCase[];
  readonly outputs: readonly TargetOutput[];
}

export interface BuildResult {
  /** "ok", "invalid" (user error: exit 2), "internal" (policyc bug: exit 3), "drift" (--check found differences: exit 1). */
  readonly status: "ok" | "invalid" | "internal" | "drift";
  readonly issues: readonly Issue[];
  readonly compiled: readonly CompiledPolicy[];
  /** The mutations, compiled (empty when the build failed). */
  readonly mutations?: readonly CompiledMutation[];
  readonly files: ReadonlyMap<string, string>;
  readonly drift?: Drift;
  readonly changed?: boolean;
  /** What does not stop the build: exceptions past their `expires` date. */
  readonly warnings?: readonly Issue[];
}

const fail = (status: "invalid" | "internal", issues: readonly Issue[]): BuildResult => ({
  status,
  issues: sortIssues(issues),
  compiled: [],
  files: new Map(),
});

/** A policy lowered with its exceptions, before it is compiled. */
interface Lowered {
  readonly file: string;
  readonly policy: Policy;
  readonly tests: readonly TestCase[];
  readonly exceptionTests: ExceptionCase[];
}

/** What a build has so far, step by step. */
interface BuildState {
  readonly o: BuildOptions;
  loaded?: Awaited<ReturnType<typeof loadPolicies>>;
  /** Problems found so far (load, type-check); steps stop the build when they matter. */
  readonly issues: Issue[];
  /** Problems of the policies' meaning, located (to file, line and column) all at once. */
  readonly lowerIssues: Issue[];
  readonly warnings: Issue[];
  exceptions: Attachable[];
  readonly lowered: Lowered[];
  readonly compiled: CompiledPolicy[];
  readonly mutations: CompiledMutation[];
  readonly files: Map<string, string>;
}

/** One step of a build: it adds to the state, or ends the build with a result. */
interface BuildStep {
  readonly name: string;
  run(s: BuildState): Promise<BuildResult | undefined> | BuildResult | undefined;
}

/**
 * `policyc build`, as the list of its steps, in order: load the policies, type-check them, attach
 * the exceptions, lower and validate, check across policies, compile every target, add the
 * Gatekeeper sync Config, and write the output directory atomically (or compare it, with
 * `check`). Nothing is written unless every policy compiled.
 */
const BUILD_STEPS: readonly BuildStep[] = [
  { name: "load", run: loadStep },
  { name: "typecheck", run: async (s) => void (s.o.typecheck && s.issues.push(...(await typecheckPolicies(s.loaded!.files, s.o.cwd)))) },
  { name: "attach-exceptions", run: attachStep },
  { name: "lower", run: lowerStep },
  { name: "mutations", run: mutationsStep },
  { name: "cross-policy", run: crossPolicyStep },
  { name: "compile", run: compileStep },
  { name: "sync-config", run: syncConfigStep },
  { name: "write", run: writeStep },
];

export async function buildPolicies(o: BuildOptions): Promise<BuildResult> {
  const s: BuildState = {
    o,
    issues: [],
    lowerIssues: [],
    warnings: [],
    exceptions: [],
    lowered: [],
    compiled: [],
    mutations: [],
    files: new Map(),
  };
  for (const step of BUILD_STEPS) {
    const stop = await step.run(s);
    if (stop) return stop;
  }
  throw new Error("the build's last step answers its result");
}

async function loadStep(s: BuildState): Promise<undefined> {
  const { o } = s;
  s.loaded = await loadPolicies(
    path.resolve(o.cwd, o.policies),
    o.cwd,
    o.loadTimeoutMs !== undefined ? { timeoutMs: o.loadTimeoutMs } : {},
  );
  s.issues.push(...s.loaded.issues);
  if (!o.dryRun && !o.allowEmpty && s.loaded.files.length === 0 && s.loaded.issues.length === 0)
    s.issues.push(
      issue(
        "invalid_path",
        `${o.policies} holds no policy file; a mistyped --policies must not empty ${o.out}/ (pass --allow-empty to empty it on purpose)`,
        undefined,
      ),
    );
  return undefined;
}

/** The exceptions that can be attached, and a warning (an error with `strict`) for each one past its expiry. */
function attachStep(s: BuildState): undefined {
  const { o } = s;
  s.exceptions = attachableExceptions(s.loaded!, s.lowerIssues);
  for (const { exception: ex } of s.exceptions) {
    const expiry = expiryOf(ex);
    if (expiry === undefined || expiry >= (o.now ?? Date.now())) continue;
    const expired = {
      ...issue(
        "expired_exception",
        `exception "${ex.name}" expired on ${ex.expires} (reason: ${ex.reason}); Kyverno no longer applies it, Kubernetes and Gatekeeper still do: renew it or remove it`,
        ex.source,
        ["expires"],
      ),
      ...(o.strict ? {} : { severity: "warning" as const }),
    };
    (o.strict ? s.lowerIssues : s.warnings).push(expired);
  }
  return undefined;
}

/** Each policy lowered (the IR passes), with the exceptions naming it, and what its targets cannot carry. */
function lowerStep(s: BuildState): undefined {
  for (const lp of s.loaded!.policies) {
    if (!lp.policy || lp.definition.issues.length > 0) continue;
    const r = lowerPolicy(lp.policy);
    if (!r.ok) {
      s.lowerIssues.push(...r.issues);
      continue;
    }
    const own = s.exceptions.filter((e) => e.exception.policies.includes(r.value.name));
    const { policy, issues: unsupported } = withExceptions(
      r.value,
      own.map((e) => e.exception),
      s.o.targets,
    );
    if (unsupported.length) s.lowerIssues.push(...unsupported);
    else
      s.lowered.push({
        file: lp.file,
        policy,
        tests: lp.definition.tests,
        exceptionTests: own.flatMap((e) =>
          e.tests.map((test, index) => ({ exception: e.exception.name, file: e.file, source: e.exception.source, index, test })),
        ),
      });
  }
  return undefined;
}

/** The mutations defined without issues: each name once, and what their targets cannot express. */
function mutationsStep(s: BuildState): undefined {
  const seen = new Map<string, Mutation>();
  for (const lm of s.loaded!.mutations) {
    const m = lm.mutation;
    if (!m || lm.definition.issues.length > 0) continue;
    const prev = seen.get(m.name);
    if (prev) {
      s.lowerIssues.push(
        issue(
          "duplicate_policy_name",
          `mutation "${m.name}" is defined twice (also at ${prev.source.file}:${prev.source.line}): rename one`,
          m.source,
          ["name"],
        ),
      );
      continue;
    }
    seen.set(m.name, m);
    const unsupported = mutationTargetIssues(m, s.o.targets);
    if (unsupported.length) s.lowerIssues.push(...unsupported);
    else s.mutations.push({ file: lm.file, mutation: m, tests: lm.definition.tests, outputs: [] });
  }
  return undefined;
}

/** Checks across policies (duplicate names, what targets share), then every problem so far, located; any stops the build. */
async function crossPolicyStep(s: BuildState): Promise<BuildResult | undefined> {
  const policies = s.lowered.map((l) => l.policy);
  s.lowerIssues.push(...validatePolicies(policies).filter((i) => i.code === "duplicate_policy_name"));
  s.lowerIssues.push(...crossPolicyIssues(policies, s.o.targets));
  if (s.o.targets.includes("kyverno") && s.o.kyvernoFormats?.includes("legacy"))
    s.lowerIssues.push(...policies.flatMap(legacyKyvernoIssues));
  s.issues.push(...(s.lowerIssues.length ? await locateIssues(s.lowerIssues, s.o.cwd) : []));
  return s.issues.length > 0 ? fail("invalid", s.issues) : undefined;
}

/** Every target's documents of every policy, as YAML files. */
function compileStep(s: BuildState): BuildResult | undefined {
  const { o } = s;
  const formats = o.kyvernoFormats ?? ["validating-policy"];
  for (const { file, policy, tests, exceptionTests } of s.lowered) {
    try {
      const outputs: TargetOutput[] = [];
      for (const t of o.targets) {
        if (t === "kyverno")
          for (const f of formats)
            outputs.push(
              ...compilePolicy(policy, [t], f, o.kyvernoExceptionNamespace ? { exceptionNamespace: o.kyvernoExceptionNamespace } : {}),
            );
        else outputs.push(...compilePolicy(policy, [t]));
      }
      for (const out of outputs) s.files.set(outputPath(out), emitYaml(out, file));
      s.compiled.push({ file, policy, tests, exceptionTests, outputs });
    } catch (e) {
      return fail("internal", [
        issue("internal_error", `compiling policy ${policy.name} failed: ${e instanceof Error ? e.message : String(e)}`, policy.source),
      ]);
    }
  }
  for (const [i, cm] of s.mutations.entries()) {
    try {
      const outputs = compileMutation(cm.mutation, o.targets);
      for (const out of outputs) s.files.set(outputPath(out), emitYaml(out, cm.file, `mutation ${cm.mutation.name}`));
      s.mutations[i] = { ...cm, outputs };
    } catch (e) {
      return fail("internal", [
        issue(
          "internal_error",
          `compiling mutation ${cm.mutation.name} failed: ${e instanceof Error ? e.message : String(e)}`,
          cm.mutation.source,
        ),
      ]);
    }
  }
  return undefined;
}

/** One Gatekeeper Config syncing the cluster data the policies read (a cluster has one Config). */
function syncConfigStep(s: BuildState): undefined {
  const sync = s.o.targets.includes("gatekeeper") ? toGatekeeperSyncConfig(s.lowered.map((l) => l.policy)) : undefined;
  if (!sync) return undefined;
  const readers = s.lowered.filter((l) =>
    (sync.metadata.annotations as Record<string, string>)["policyc/synced-for"]!.split(",").includes(l.policy.name),
  );
  s.files.set(
    SYNC_CONFIG_PATH,
    emitYaml(
      { target: "gatekeeper", policy: "config", documents: [sync] },
      [...new Set(readers.map((l) => l.file))].join(", "),
      "Gatekeeper's sync Config for every policy that reads cluster data",
    ),
  );
  return undefined;
}

/** The output directory written atomically, or compared (`check`), or left alone (`dryRun`). */
async function writeStep(s: BuildState): Promise<BuildResult> {
  const { o, compiled, files, mutations } = s;
  const outDir = path.resolve(o.cwd, o.out);
  const warned = s.warnings.length ? { warnings: await locateIssues(s.warnings, o.cwd) } : {};
  if (o.dryRun) return { status: "ok", issues: [], compiled, mutations, files, ...warned };
  if (o.check) {
    const settled = settleOutputDir(outDir);
    if ("issue" in settled) return fail("invalid", [settled.issue]);
    const scanned = scanOutputDir(settled.dir);
    if (scanned.issues.length) return fail("invalid", scanned.issues);
    const drift = diffOutput(scanned.files, files);
    const clean = drift.stale.length + drift.missing.length + drift.extra.length === 0;
    return { status: clean ? "ok" : "drift", issues: [], compiled, mutations, files, drift, ...warned };
  }
  const w = writeFilesAtomically(outDir, files, o.write);
  if (w.issues.length) return fail("invalid", w.issues);
  return { status: "ok", issues: [], compiled, mutations, files, changed: w.changed, ...warned };
}

/**
 * A lowered policy with the exceptions (among those given) that name it, in name order as the
 * build attaches them, and what its targets cannot carry faithfully: the one way `build`,
 * `test` and `policyc/testing` put exceptions and policies together.
 */
export function withExceptions(
  lowered: Policy,
  exceptions: readonly Exception[],
  targets: readonly TargetName[],
): { policy: Policy; issues: Issue[] } {
  const own = exceptions.filter((e) => e.policies.includes(lowered.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const policy: Policy = own.length ? { ...lowered, exceptions: own } : lowered;
  return { policy, issues: [...own.flatMap((e) => exceptionIssues(policy, e)), ...targetIssues(policy, targets)] };
}

/**
 * The exceptions that can be attached: defined without issues, naming only policies that were
 * loaded (an unknown one is a located `unknown_policy`), each name once.
 */
interface Attachable {
  readonly exception: Exception;
  readonly file: string;
  readonly tests: readonly ExceptionTestCase[];
}

function attachableExceptions(loaded: Awaited<ReturnType<typeof loadPolicies>>, issues: Issue[]): Attachable[] {
  const known = new Set(loaded.policies.map((p) => p.definition.name));
  const out: Attachable[] = [];
  const seen = new Map<string, Exception>();
  for (const le of loaded.exceptions) {
    const ex = le.definition.exception;
    if (!ex || le.definition.issues.length > 0) continue;
    const unknown = ex.policies.flatMap((name, i) => (known.has(name) ? [] : [{ name, i }]));
    for (const { name, i } of unknown)
      issues.push(
        issue(
          "unknown_policy",
          `exception "${ex.name}" names policy "${name}", which no policy file exports (export the policy it names from a file under the policies directory)`,
          ex.source,
          ["policies", i],
        ),
      );
    const prev = seen.get(ex.name);
    if (prev) {
      issues.push(
        issue(
          "invalid_exception",
          `exception "${ex.name}" is defined twice (also at ${prev.source.file}:${prev.source.line}): rename one`,
          ex.source,
          ["name"],
        ),
      );
      continue;
    }
    seen.set(ex.name, ex);
    if (unknown.length === 0) out.push({ exception: ex, file: le.file, tests: le.definition.tests });
  }
  return out.sort((a, b) => (a.exception.name < b.exception.name ? -1 : a.exception.name > b.exception.name ? 1 : 0));
}
