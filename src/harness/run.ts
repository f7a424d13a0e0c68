/**
 * `policyc test`: policyc's own cases on every selected engine, and existing suites (gator) as
 * they are. Produces one Report; the CLI and policyc/testing render it.
 */
import { CelRuntime, EngineMissingError, type CelTier, type RegoCompiler } from "../engines/index.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildPolicies, type CompiledPolicy } from "../build/index.js";
import { TARGET_NAMES, type Issue } from "../ir/index.js";
import { findPolicyFiles, locateIssues, stopLoader } from "../load/index.js";
import { findFiles, uniqueIssues } from "./fixtures.js";
import { isGatorSuite, readGatorSuite, runGatorSuites, type GatorSuite } from "./gator-suite.js";
import { CaseThread, splitCases, wantsSecondThread } from "./case-thread.js";
import { evaluateCases, regoCompiler, type CaseEngines } from "./evaluate-cases.js";
import { isKyvernoTest, runKyvernoTests } from "./kyverno-test.js";
import { collectCases } from "./policyc-cases.js";
import { ENGINE_NAMES, summarize, type EngineName, type Report, type ResultRow } from "./report.js";

export interface TestOptions {
  readonly cwd: string;
  /** Policy folders, gator suite files or folders. Empty: `policies`. */
  readonly paths: readonly string[];
  readonly policies: string;
  readonly engines: readonly EngineName[];
  readonly filter?: string;
  /** gator's `--run`: only cases and suite tests whose id (`test/case`, `policy/case`) matches. */
  readonly run?: RegExp;
  /** The Kyverno CLI's `--test-case-selector`: only rows of this policy, rule and resource. */
  readonly selector?: CaseSelector;
  /** How long one policy module may take to import. */
  readonly loadTimeoutMs?: number;
  /** 1-based shard index and count. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Where compiled Wasm is cached; undefined: the user cache directory. `false`: no cache. */
  readonly cacheDir?: string | false;
  /** Time limit of one evaluation of a user's ConstraintTemplate (default DEFAULT_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /**
   * Watch mode: told every compiled policy after the build, answers the names of the policies whose
   * cases to run (undefined: all).
   */
  readonly affected?: (compiled: readonly CompiledPolicy[]) => ReadonlySet<string> | undefined;
  /** Called as phases start (loading policies, compiling Rego, starting the CEL engine, evaluating). */
  readonly onPhase?: (phase: string) => void;
  /** Keep the run on this thread (watch mode's re-runs: a few cases, engines already warm). */
  readonly singleThread?: boolean;
  /** Called as cases finish, for a progress line. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The Kyverno CLI's `--test-case-selector policy=…,rule=…,resource=…`; absent keys match anything. */
export interface CaseSelector {
  readonly policy?: string;
  readonly rule?: string;
  readonly resource?: string;
}

/** Parses `policy=a,rule=b,resource=c` (each key optional, at least one). */
export function parseCaseSelector(s: string): CaseSelector {
  const out: Record<string, string> = {};
  for (const part of s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [key, ...rest] = part.split("=");
    const value = rest.join("=").trim();
    if (!["policy", "rule", "resource"].includes(key!.trim()) || !value)
      throw new Error(`--test-case-selector takes policy=NAME,rule=NAME,resource=NAME (got "${part}")`);
    out[key!.trim()] = value;
  }
  if (Object.keys(out).length === 0) throw new Error("--test-case-selector needs policy=, rule= or resource=");
  return out;
}

/** Whether a row is one the selector picks: its policy, its rule (or the rule's autogen forms), its resource by name, namespace/name or kind/namespace/name. */
function selectorPicks(r: ResultRow, s: CaseSelector): boolean {
  if (s.policy !== undefined && r.policy !== s.policy) return false;
  if (s.rule !== undefined && ![s.rule, `autogen-${s.rule}`, `autogen-cronjob-${s.rule}`].includes(r.rule)) return false;
  if (s.resource !== undefined) {
    const parts = r.resource.split("/");
    const names = [r.resource, parts.at(-1), parts.slice(-2).join("/")];
    if (!names.includes(s.resource)) return false;
  }
  return true;
}

export type TestOutcome =
  /** `matched`: cases and suite tests the filter selected, before sharding (0 when there were none to run at all). */
  | { readonly status: "ran"; readonly report: Report; readonly matched: number }
  | { readonly status: "invalid"; readonly errors: readonly Issue[] }
  | { readonly status: "internal"; readonly errors: readonly Issue[] };

/**
 * Time limit of one evaluation of a user's Rego. Gatekeeper's webhook gives up after 3 s by
 * default; test machines are slower and noisier, so policyc allows more before calling it a hang.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

export function defaultWasmCache(): string {
  const base = process.env.POLICYC_CACHE_DIR
    ? path.resolve(process.env.POLICYC_CACHE_DIR)
    : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "policyc");
  return path.join(base, "rego-wasm");
}

/**
 * Shard membership of an id met one at a time (a suite's case, read while the suite runs): a
 * stable hash of the id (FNV-1a), so each id is in exactly one shard whatever else the run holds.
 */
export function hashShard(id: string, shard: { index: number; count: number } | undefined): boolean {
  if (!shard) return true;
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(id)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h % shard.count === shard.index - 1;
}

/** Deterministic shard membership: items sorted by id, dealt round-robin; 1-based like vitest. */
export function inShard(ids: readonly string[], shard: { index: number; count: number } | undefined): Set<string> {
  const sorted = [...new Set(ids)].sort();
  return new Set(shard ? sorted.filter((_, i) => i % shard.count === shard.index - 1) : sorted);
}

/** A folder of TypeScript policies, built in memory (nothing written). */
export function buildInMemory(cwd: string, dir: string, loadTimeoutMs: number | undefined) {
  return buildPolicies({
    cwd,
    policies: path.relative(cwd, dir) || ".",
    out: "generated",
    targets: TARGET_NAMES,
    dryRun: true,
    ...(loadTimeoutMs !== undefined ? { loadTimeoutMs } : {}),
  });
}

export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new Error(`--shard must be I/N with 1 <= I <= N (got "${s}")`);
  return { index, count };
}

/** Sorts PATHs into policy folders (holding policy files) and gator suites (files, or found in folders). */
function classify(
  cwd: string,
  paths: readonly string[],
  policies: string,
): { policyDirs: string[]; suites: string[]; kyverno: string[]; errors: Issue[]; policyFiles: number } {
  const list = paths.length ? paths : [policies];
  let policyFiles = 0;
  const policyDirs: string[] = [];
  const suites: string[] = [];
  const kyverno: string[] = [];
  const errors: Issue[] = [];
  const bad = (p: string, message: string, code: "missing_file" | "invalid_path"): Issue => ({
    code,
    message,
    severity: "error",
    file: p,
    path: [],
  });
  for (const p of list) {
    const abs = path.resolve(cwd, p);
    if (!existsSync(abs)) {
      errors.push(bad(p, "no such file or folder", "missing_file"));
      continue;
    }
    // One walk, each YAML file read once, sorted into gator suites and Kyverno tests.
    const found: string[] = [];
    const tests: string[] = [];
    for (const file of findFiles(abs, (f) => /\.ya?ml$/.test(f))) {
      const text = readFileSync(file, "utf8");
      if (isGatorSuite(text)) found.push(file);
      else if (isKyvernoTest(file, text)) tests.push(file);
    }
    suites.push(...found);
    kyverno.push(...tests);
    const isDir = statSync(abs).isDirectory();
    const files = isDir ? findPolicyFiles(abs).length : 0;
    policyFiles += files;
    if (files > 0) policyDirs.push(abs);
    else if (found.length === 0 && tests.length === 0) {
      errors.push(
        bad(
          p,
          isDir
            ? "holds no policy files, gator suites or Kyverno tests"
            : "is neither a gator suite (kind: Suite) nor a Kyverno test (kyverno-test.yaml)",
          "invalid_path",
        ),
      );
    }
  }
  return { policyDirs, suites, kyverno, errors, policyFiles };
}

/**
 * The CEL engine's compilation for a run of this many policy files and Kyverno tests: baseline
 * below OPTIMISE_FROM (start-up matters most), optimising from it (evaluation and compilation do).
 * `POLICYC_CEL_TIER` overrides it, for measuring both (bench).
 */
export const OPTIMISE_FROM = 20;
export function celTierFor(files: number): CelTier {
  const forced = process.env["POLICYC_CEL_TIER"];
  if (forced === "baseline" || forced === "optimising") return forced;
  return files >= OPTIMISE_FROM ? "optimising" : "baseline";
}

export async function runTests(o: TestOptions): Promise<TestOutcome> {
  const threads: CaseThread[] = [];
  try {
    return await runOn(threads, o);
  } finally {
    // A second thread ends with the run, whichever way the run ends.
    for (const t of threads) void t.close();
  }
}

async function runOn(threads: CaseThread[], o: TestOptions): Promise<TestOutcome> {
  const started = performance.now();
  const { policyDirs, suites, kyverno, errors: pathErrors, policyFiles } = classify(o.cwd, o.paths, o.policies);
  if (pathErrors.length) return { status: "invalid", errors: pathErrors };
  const notes: string[] = [];
  const rows: ResultRow[] = [];
  let disagreements = 0;
  const cacheDir = o.cacheDir === false ? undefined : (o.cacheDir ?? defaultWasmCache());
  let matched = 0;
  const wanted = (id: string) => (!o.filter || id.toLowerCase().includes(o.filter.toLowerCase())) && (!o.run || o.run.test(id));
  const select = (ids: readonly string[]) => {
    const filtered = ids.filter(wanted);
    matched += filtered.length;
    return inShard(filtered, o.shard);
  };
  /** A suite's case, met while its suite runs: filtered, then sharded by its id's hash. */
  const selectOne = (id: string) => {
    if (!wanted(id)) return false;
    matched++;
    return hashShard(id, o.shard);
  };

  // policyc's own policies and their cases.
  // Engines start while the loader thread imports the policies: their start-up (compiling the
  // Wasm modules, the Go runtime's initialisation) overlaps the loading. A run whose engines do
  // not need one never starts it.
  const celWanted = o.engines.some((e) => e === "kyverno" || e === "kubernetes");
  // A long run repays V8's optimising compiler for the CEL engine; a short one is over before it would.
  const tier = celTierFor(policyFiles + kyverno.length);
  const early = {
    cel: (celWanted && policyDirs.length > 0) || kyverno.length > 0 ? CelRuntime.get({ tier }) : undefined,
    rego: o.engines.includes("gatekeeper") && (policyDirs.length > 0 || suites.length > 0) ? regoCompiler() : undefined,
    // A large run splits its policies between two threads; the second starts now, and its CEL
    // runtime as soon as this thread's module is compiled.
    second: policyDirs.length > 0 && !o.singleThread && wantsSecondThread(policyFiles) ? CaseThread.start() : undefined,
  };
  if (early.second) threads.push(early.second);
  if (early.second && early.cel) {
    const second = early.second;
    early.cel.then((rt) => second.adoptCel(rt.module)).catch(() => {});
  }
  // Failures are reported where the engine is awaited, below.
  early.cel?.catch(() => {});
  early.rego?.catch(() => {});
  const compiled: CompiledPolicy[] = [];
  if (policyDirs.length) o.onPhase?.("loading policies");
  for (const dir of policyDirs) {
    const built = await buildInMemory(o.cwd, dir, o.loadTimeoutMs);
    if (built.status === "invalid" || built.status === "internal") return { status: built.status, errors: built.issues };
    compiled.push(...built.compiled);
  }
  // A run large enough for two threads needs the memory more than the loader's imports.
  if (early.second) void stopLoader();
  const { cases, issues } = collectCases(compiled);
  if (issues.length) return { status: "invalid", errors: await locateIssues(issues, o.cwd) };
  const only = o.affected?.(compiled);
  const chosen = select(cases.filter((c) => !only || only.has(c.policy.policy.name)).map((c) => c.id));
  const selected = cases.filter((c) => chosen.has(c.id));

  let compiler: RegoCompiler | undefined;
  if (o.engines.includes("gatekeeper") && (selected.length > 0 || suites.length > 0)) {
    try {
      compiler = await regoCompiler();
      notes.push(`Rego compiled by ${compiler.description}`);
    } catch (e) {
      if (!(e instanceof EngineMissingError)) throw e;
      if (suites.length > 0 || o.engines.length === 1) return { status: "invalid", errors: [engineMissing(e)] };
      notes.push(`gatekeeper engine not run: ${e.message}`);
    }
  }
  let runtime: CelRuntime | undefined;
  const celNames = (["kyverno", "kubernetes"] as const).filter((e) => o.engines.includes(e));
  if ((celNames.length && selected.length > 0) || kyverno.length > 0) {
    try {
      o.onPhase?.("starting the CEL engine");
      runtime = await CelRuntime.get({ tier });
    } catch (e) {
      if (!(e instanceof EngineMissingError)) throw e;
      if (kyverno.length > 0 || o.engines.length === celNames.length) return { status: "invalid", errors: [engineMissing(e)] };
      notes.push(`${celNames.join(", ")} not run: ${e.message}`);
    }
  }

  if (selected.length > 0) {
    const engines: CaseEngines = {
      names: [...o.engines]
        .sort((a, b) => ENGINE_NAMES.indexOf(a) - ENGINE_NAMES.indexOf(b))
        // An engine whose runtime is missing (noted above) is left out, on both threads.
        .filter((e) => e === "reference" || (e === "gatekeeper" ? compiler : runtime) !== undefined),
      cacheDir,
      // policyc's cases are admission requests: an expired PolicyException no longer applies.
      now: Date.now(),
    };
    const halves = early.second ? splitCases(selected) : undefined;
    // Too few cases to split: the thread would only compete for the cores.
    if (!halves) void early.second?.close();
    let done = 0;
    const progress = (n: number) => {
      done += n;
      o.onProgress?.(done, selected.length);
    };
    if (compiler) o.onPhase?.("compiling Rego");
    const [mine, theirs] = halves ?? [selected, []];
    const far = halves ? early.second!.run(theirs, engines, o.cwd, progress) : undefined;
    // Waited for below; a failure is reported there, after this thread's half.
    far?.catch(() => {});
    const near = await evaluateCases(mine, { ...engines, ...(compiler ? { compiler } : {}), ...(runtime ? { runtime } : {}) }, o.cwd, {
      ready: () => o.onPhase?.(`evaluating ${selected.length} cases`),
      case: () => progress(1),
    });
    const parts = [near, ...(far ? [await far] : [])];
    if (halves) notes.push(`cases run on two threads: ${mine.length} here, ${theirs.length} on the second`);
    const internal = parts.flatMap((p) => p.internal);
    if (internal.length) return { status: "internal", errors: internal };
    const stats = parts.flatMap((p) => (p.stats ? [p.stats] : []));
    if (stats.length)
      notes.push(
        `Rego cache: ${stats.reduce((n, s) => n + s.compiled, 0)} compiled, ${stats.reduce((n, s) => n + s.cached, 0)} from cache`,
      );
    const inputErrors: Issue[] = [];
    for (const outcome of parts.flatMap((p) => p.outcomes)) {
      if ("issue" in outcome) inputErrors.push(outcome.issue);
      else {
        rows.push(...outcome.rows);
        disagreements += outcome.disagreed;
      }
    }
    if (inputErrors.length) return { status: "invalid", errors: await locateIssues(inputErrors, o.cwd) };
  }

  if (suites.length > 0 && compiler) {
    const parsed: GatorSuite[] = [];
    const errors: Issue[] = [];
    for (const s of suites) {
      const r = readGatorSuite(s, o.cwd);
      if (r.ok) parsed.push(r.suite);
      else errors.push(r.issue);
    }
    if (errors.length) return { status: "invalid", errors: uniqueIssues(errors) };
    const g = await runGatorSuites(parsed, compiler, cacheDir, o.cwd, selectOne, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (g.issues.length) return { status: "invalid", errors: uniqueIssues(g.issues) };
    notes.push(`gator suites: ${parsed.length}; templates ${g.stats.compiled} compiled, ${g.stats.cached} from cache`);
    rows.push(...g.rows);
  }
  if (kyverno.length > 0 && runtime) {
    const k = await runKyvernoTests(kyverno, runtime, o.cwd, selectOne);
    if (k.issues.length) return { status: "invalid", errors: uniqueIssues(k.issues) };
    notes.push(`Kyverno CLI tests: ${kyverno.length}`);
    rows.push(...k.rows);
  }
  const kept = o.selector ? rows.filter((r) => selectorPicks(r, o.selector!)) : rows;
  return {
    status: "ran",
    report: { summary: summarize(kept, disagreements, performance.now() - started), results: kept, notes },
    matched,
  };
}

const engineMissing = (e: EngineMissingError): Issue => ({ code: "engine_missing", message: e.message, severity: "error", path: [] });

export { ENGINE_NAMES, regoCompiler };
