import path from "node:path";
import {
  compilePolicy,
  crossPolicyIssues,
  targetIssues,
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
  type Policy,
  type SourceLocation,
  type TargetName,
} from "../ir/index.js";
import { loadPolicies, locateIssues, typecheckPolicies } from "../load/index.js";
import type { ExceptionTestCase, TestCase } from "../sdk/index.js";

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

export interface BuildResult {
  /** "ok", "invalid" (user error: exit 2), "internal" (policyc bug: exit 3), "drift" (--check found differences: exit 1). */
  readonly status: "ok" | "invalid" | "internal" | "drift";
  readonly issues: readonly Issue[];
  readonly compiled: readonly CompiledPolicy[];
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

/**
 * `policyc build`: load the policies, lower and validate them, compile every target, and write
 * the output directory atomically (or compare it, with `check`). Nothing is written unless
 * every policy compiled.
 */
export async function buildPolicies(o: BuildOptions): Promise<BuildResult> {
  const policiesDir = path.resolve(o.cwd, o.policies);
  const loaded = await loadPolicies(policiesDir, o.cwd, o.loadTimeoutMs !== undefined ? { timeoutMs: o.loadTimeoutMs } : {});
  const issues: Issue[] = [...loaded.issues];
  if (!o.dryRun && !o.allowEmpty && loaded.files.length === 0 && loaded.issues.length === 0)
    issues.push(
      issue(
        "invalid_path",
        `${o.policies} holds no policy file; a mistyped --policies must not empty ${o.out}/ (pass --allow-empty to empty it on purpose)`,
        undefined,
      ),
    );
  if (o.typecheck) issues.push(...(await typecheckPolicies(loaded.files, o.cwd)));
  const formats = o.kyvernoFormats ?? ["validating-policy"];
  const lowered: { file: string; policy: Policy; tests: readonly TestCase[]; exceptionTests: ExceptionCase[] }[] = [];
  const lowerIssues: Issue[] = [];
  const exceptions = attachableExceptions(loaded, lowerIssues);
  const warnings: Issue[] = [];
  for (const { exception: ex } of exceptions) {
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
    (o.strict ? lowerIssues : warnings).push(expired);
  }
  for (const lp of loaded.policies) {
    if (!lp.policy || lp.definition.issues.length > 0) continue;
    const r = lowerPolicy(lp.policy);
    if (!r.ok) lowerIssues.push(...r.issues);
    else {
      const own = exceptions.filter((e) => e.exception.policies.includes(r.value.name));
      const { policy, issues: unsupported } = withExceptions(
        r.value,
        own.map((e) => e.exception),
        o.targets,
      );
      if (unsupported.length) lowerIssues.push(...unsupported);
      else
        lowered.push({
          file: lp.file,
          policy,
          tests: lp.definition.tests,
          exceptionTests: own.flatMap((e) =>
            e.tests.map((test, index) => ({ exception: e.exception.name, file: e.file, source: e.exception.source, index, test })),
          ),
        });
    }
  }
  lowerIssues.push(...validatePolicies(lowered.map((l) => l.policy)).filter((i) => i.code === "duplicate_policy_name"));
  lowerIssues.push(
    ...crossPolicyIssues(
      lowered.map((l) => l.policy),
      o.targets,
    ),
  );
  issues.push(...(lowerIssues.length ? await locateIssues(lowerIssues, o.cwd) : []));
  if (issues.length > 0) return fail("invalid", issues);

  const files = new Map<string, string>();
  const compiled: CompiledPolicy[] = [];
  for (const { file, policy, tests, exceptionTests } of lowered) {
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
      for (const out of outputs) files.set(outputPath(out), emitYaml(out, file));
      compiled.push({ file, policy, tests, exceptionTests, outputs });
    } catch (e) {
      return fail("internal", [
        issue("internal_error", `compiling policy ${policy.name} failed: ${e instanceof Error ? e.message : String(e)}`, policy.source),
      ]);
    }
  }
  // One Gatekeeper Config syncing the cluster data the policies read (a cluster has one Config).
  const sync = o.targets.includes("gatekeeper") ? toGatekeeperSyncConfig(lowered.map((l) => l.policy)) : undefined;
  if (sync) {
    const readers = lowered.filter((l) =>
      (sync.metadata.annotations as Record<string, string>)["policyc/synced-for"]!.split(",").includes(l.policy.name),
    );
    files.set(
      SYNC_CONFIG_PATH,
      emitYaml(
        { target: "gatekeeper", policy: "config", documents: [sync] },
        readers.map((l) => l.file).join(", "),
        "Gatekeeper's sync Config for every policy that reads cluster data",
      ),
    );
  }
  const outDir = path.resolve(o.cwd, o.out);
  const warned = warnings.length ? { warnings: await locateIssues(warnings, o.cwd) } : {};
  if (o.dryRun) return { status: "ok", issues: [], compiled, files, ...warned };
  if (o.check) {
    const settled = settleOutputDir(outDir);
    if ("issue" in settled) return fail("invalid", [settled.issue]);
    const scanned = scanOutputDir(settled.dir);
    if (scanned.issues.length) return fail("invalid", scanned.issues);
    const drift = diffOutput(scanned.files, files);
    const clean = drift.stale.length + drift.missing.length + drift.extra.length === 0;
    return { status: clean ? "ok" : "drift", issues: [], compiled, files, drift, ...warned };
  }
  const w = writeFilesAtomically(outDir, files, o.write);
  if (w.issues.length) return fail("invalid", w.issues);
  return { status: "ok", issues: [], compiled, files, changed: w.changed, ...warned };
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
function attachableExceptions(
  loaded: Awaited<ReturnType<typeof loadPolicies>>,
  issues: Issue[],
): { exception: Exception; file: string; tests: readonly ExceptionTestCase[] }[] {
  const known = new Set(loaded.policies.map((p) => p.definition.name));
  const out: { exception: Exception; file: string; tests: readonly ExceptionTestCase[] }[] = [];
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
