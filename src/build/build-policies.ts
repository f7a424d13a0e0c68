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
import { issue, lowerPolicy, sortIssues, validatePolicies, type Issue, type Policy, type TargetName } from "../ir/index.js";
import { loadPolicies, locateIssues, typecheckPolicies } from "../load/index.js";
import type { TestCase } from "../sdk/index.js";

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
}

export interface CompiledPolicy {
  readonly file: string;
  readonly policy: Policy;
  /** The policy's own test cases (definePolicy `tests`). */
  readonly tests: readonly TestCase[];
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
  const lowered: { file: string; policy: Policy; tests: readonly TestCase[] }[] = [];
  const lowerIssues: Issue[] = [];
  for (const lp of loaded.policies) {
    if (!lp.policy || lp.definition.issues.length > 0) continue;
    const r = lowerPolicy(lp.policy);
    if (!r.ok) lowerIssues.push(...r.issues);
    else {
      const unsupported = targetIssues(r.value, o.targets);
      if (unsupported.length) lowerIssues.push(...unsupported);
      else lowered.push({ file: lp.file, policy: r.value, tests: lp.definition.tests });
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

  const formats = o.kyvernoFormats ?? ["validating-policy"];
  const files = new Map<string, string>();
  const compiled: CompiledPolicy[] = [];
  for (const { file, policy, tests } of lowered) {
    try {
      const outputs: TargetOutput[] = [];
      for (const t of o.targets) {
        if (t === "kyverno") for (const f of formats) outputs.push(...compilePolicy(policy, [t], f));
        else outputs.push(...compilePolicy(policy, [t]));
      }
      for (const out of outputs) files.set(outputPath(out), emitYaml(out, file));
      compiled.push({ file, policy, tests, outputs });
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
  if (o.dryRun) return { status: "ok", issues: [], compiled, files };
  if (o.check) {
    const settled = settleOutputDir(outDir);
    if ("issue" in settled) return fail("invalid", [settled.issue]);
    const scanned = scanOutputDir(settled.dir);
    if (scanned.issues.length) return fail("invalid", scanned.issues);
    const drift = diffOutput(scanned.files, files);
    const clean = drift.stale.length + drift.missing.length + drift.extra.length === 0;
    return { status: clean ? "ok" : "drift", issues: [], compiled, files, drift };
  }
  const w = writeFilesAtomically(outDir, files, o.write);
  if (w.issues.length) return fail("invalid", w.issues);
  return { status: "ok", issues: [], compiled, files, changed: w.changed };
}
