/**
 * `policyc test`: policyc's own cases on every selected engine, and existing suites (gator,
 * Kyverno) as they are. Produces one Report; the CLI and policyc/testing render it. A run reads
 * as its steps: classify the paths, start the runtimes, load the policies and select their
 * cases, evaluate them (on two threads when large), run the suites, report.
 */
import os from "node:os";
import { type CelTier, type EngineName } from "../engines/index.js";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { buildPolicies, type CompiledMutation, type CompiledPolicy } from "../build/index.js";
import { instanceName, TARGET_NAMES, type Issue } from "../ir/index.js";
import { findPolicyFiles, locateIssues, stopLoader } from "../load/index.js";
import { CaseThread, splitCases, wantsSecondThread } from "./case-thread.js";
import { runtimesNeeded, type Runtimes } from "./compose.js";
import { evaluateCases, type CaseEngines, type CaseEvaluation } from "./evaluate-cases.js";
import { findFiles, uniqueIssues } from "./fixtures.js";
import { isGatorSuite, readGatorSuite, runGatorSuites, type GatorSuite } from "./gator-suite.js";
import { isKyvernoTest, runKyvernoTests } from "./kyverno-test.js";
import { runMutationCases, type MutationCaseOutcome } from "./mutation-cases.js";
import { collectCases, type PolicycCase } from "./policyc-cases.js";
import { ENGINE_NAMES, policyInfoOf, summarize, type ResultRow, type RunOutcome, type Stopped } from "./report.js";
import { awaitRuntime, defaultWasmCache, regoCompiler, startRuntimes, type RuntimeStart } from "./runtimes.js";
import { locateCaseRows } from "./rows.js";
import { readTextFile } from "./read-text.js";
import { Selection, selectorPicks, type CaseSelector, type Shard } from "./selection.js";

export { parseCaseSelector, parseShard, hashShard, inShard, type CaseSelector } from "./selection.js";
export { defaultWasmCache, regoCompiler } from "./runtimes.js";

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
  readonly shard?: Shard;
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
  /**
   * Locate every row at its case's own line (loads the TypeScript compiler): reporters that point
   * at every case ask for it (JUnit, SARIF, GitHub). Failing rows are located either way.
   */
  readonly locateCases?: boolean;
}

/** `matched`: cases and suite tests the filter selected, before sharding (0 when there were none to run at all). */
export type TestOutcome = RunOutcome<{ readonly matched: number }>;
type Stop = Stopped;

/**
 * Time limit of one evaluation of a user's Rego. Gatekeeper's webhook gives up after 3 s by
 * default; test machines are slower and noisier, so policyc allows more before calling it a hang.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

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

/** What a run's paths hold: policy folders, gator suites, Kyverno test files. */
interface Paths {
  readonly policyDirs: string[];
  readonly suites: string[];
  readonly kyverno: string[];
  readonly policyFiles: number;
}

/** Sorts PATHs into policy folders (holding policy files), gator suites and Kyverno tests (files, or found in folders). */
function classify(cwd: string, paths: readonly string[], policies: string): Paths | Stop {
  const out: Paths = { policyDirs: [], suites: [], kyverno: [], policyFiles: 0 };
  let policyFiles = 0;
  const errors: Issue[] = [];
  const bad = (p: string, message: string, code: "missing_file" | "invalid_path") =>
    errors.push({ code, message, severity: "error", file: p, path: [] });
  for (const p of paths.length ? paths : [policies]) {
    const abs = path.resolve(cwd, p);
    if (!existsSync(abs)) {
      bad(p, "no such file or folder", "missing_file");
      continue;
    }
    // One walk, each YAML file read once, sorted into gator suites and Kyverno tests (hidden
    // folders too: the Kyverno policy library keeps its tests in `.kyverno-test/`).
    let found = 0;
    for (const file of findFiles(abs, (f) => /\.ya?ml$/.test(f), { hidden: true })) {
      const read = readTextFile(file);
      if (!read.ok) {
        // A YAML file that cannot be read (a FIFO, a link to /dev/zero) is located, never waited on;
        // one too large to be a suite (a cluster fixture) is no suite, and its own reader judges it.
        if (!read.tooLarge) bad(path.relative(cwd, file) || file, read.message, "invalid_path");
        continue;
      }
      const text = read.text;
      if (isGatorSuite(text)) out.suites.push(file);
      else if (isKyvernoTest(file, text)) out.kyverno.push(file);
      else continue;
      found++;
    }
    const isDir = statSync(abs).isDirectory();
    const files = isDir ? findPolicyFiles(abs).length : 0;
    policyFiles += files;
    if (files > 0) out.policyDirs.push(abs);
    else if (found === 0)
      bad(
        p,
        isDir
          ? "holds no policy files, gator suites or Kyverno tests"
          : "is neither a gator suite (kind: Suite) nor a Kyverno test (kyverno-test.yaml)",
        "invalid_path",
      );
  }
  return errors.length ? { status: "invalid", errors } : { ...out, policyFiles };
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

/** A run in progress: what it has found, chosen and said so far. */
interface RunState {
  readonly o: TestOptions;
  readonly paths: Paths;
  readonly selection: Selection;
  readonly start: RuntimeStart;
  readonly second?: CaseThread;
  readonly cacheDir: string | undefined;
  readonly rows: ResultRow[];
  readonly notes: string[];
  disagreements: number;
  /** policyc's mutations, built with the policies; their cases run after the policies' cases. */
  readonly mutations: CompiledMutation[];
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
  const paths = classify(o.cwd, o.paths, o.policies);
  if ("status" in paths) return paths;
  const run: RunState = {
    o,
    paths,
    selection: new Selection(o),
    ...startEngines(o, paths),
    cacheDir: o.cacheDir === false ? undefined : (o.cacheDir ?? defaultWasmCache()),
    rows: [],
    notes: [],
    disagreements: 0,
    mutations: [],
  };
  if (run.second) threads.push(run.second);
  const cases = await loadCases(run);
  if (!Array.isArray(cases)) return cases;
  const mutationCases = run.mutations.some((m) => m.tests.length > 0);
  const runtimes = await awaitRuntimes(run, cases.length > 0 || mutationCases);
  if ("status" in runtimes) return runtimes;
  const far = mutationCases && cases.length > 0 ? mutationCasesOnThread(run, runtimes) : undefined;
  if (far) threads.push(far.thread);
  const stopped =
    (cases.length > 0 ? await runCases(run, cases, runtimes) : undefined) ??
    (mutationCases ? await runMutations(run, runtimes, far?.done) : undefined) ??
    (paths.suites.length > 0 && runtimes.rego ? await runGator(run, runtimes) : undefined) ??
    (paths.kyverno.length > 0 && runtimes.cel ? await runKyverno(run, runtimes) : undefined);
  if (stopped) return stopped;
  const picked = o.selector ? run.rows.filter((r) => selectorPicks(r, o.selector!)) : run.rows;
  const kept = o.locateCases || picked.some((r) => r.status !== "pass" && r.casePath) ? await locateCaseRows(picked, o.cwd) : picked;
  // What the reporters say of each policy (SARIF rules' title, severity): the same as apply's.
  const policies = Object.fromEntries(
    cases.flatMap((c) => c.policy.policy.instances.map((i) => [instanceName(c.policy.policy.name, i), policyInfoOf(c.policy.policy)])),
  );
  return {
    status: "ran",
    report: { summary: summarize(kept, run.disagreements, performance.now() - started), results: kept, notes: run.notes, policies },
    matched: run.selection.matched,
  };
}

/**
 * Engines start while the loader thread imports the policies: their start-up (compiling the Wasm
 * modules, the Go runtime's initialisation) overlaps the loading. A run whose engines do not need
 * one never starts it. A large run splits its policies between two threads; the second starts now,
 * and its CEL runtime as soon as this thread's module is compiled.
 */
function startEngines(o: TestOptions, paths: Paths): { start: RuntimeStart; second?: CaseThread } {
  const needs = runtimesNeeded(o.engines);
  const hasPolicies = paths.policyDirs.length > 0;
  const start = startRuntimes({
    cel: (needs.cel && hasPolicies) || paths.kyverno.length > 0,
    rego: needs.rego && (hasPolicies || paths.suites.length > 0),
    // A long run repays V8's optimising compiler for the CEL engine; a short one is over before it would.
    tier: celTierFor(paths.policyFiles + paths.kyverno.length),
  });
  const second = hasPolicies && !o.singleThread && wantsSecondThread(paths.policyFiles) ? CaseThread.start() : undefined;
  if (second && start.cel) start.cel.then((rt) => second.adoptCel(rt.module)).catch(() => {});
  return { start, ...(second ? { second } : {}) };
}

/** policyc's policies, built in memory, and the cases the run selects. */
async function loadCases(run: RunState): Promise<PolicycCase[] | Stop> {
  const { o, paths } = run;
  const compiled: CompiledPolicy[] = [];
  if (paths.policyDirs.length) o.onPhase?.("loading policies");
  for (const dir of paths.policyDirs) {
    const built = await buildInMemory(o.cwd, dir, o.loadTimeoutMs);
    if (built.status === "invalid" || built.status === "internal") return { status: built.status, errors: built.issues };
    compiled.push(...built.compiled);
    run.mutations.push(...(built.mutations ?? []));
  }
  // A run large enough for two threads needs the memory more than the loader's imports.
  if (run.second) void stopLoader();
  const { cases, issues } = collectCases(compiled);
  if (issues.length) return { status: "invalid", errors: await locateIssues(issues, o.cwd) };
  const only = o.affected?.(compiled);
  const chosen = run.selection.select(cases.filter((c) => !only || only.has(c.policy.policy.name)).map((c) => c.id));
  return cases.filter((c) => chosen.has(c.id));
}

/**
 * The runtimes the run needs, awaited. A missing engine build is bad input when nothing else can
 * run (suites need theirs; a run of that engine alone); otherwise a note, and the run goes on
 * without that engine.
 */
async function awaitRuntimes(run: RunState, hasCases: boolean): Promise<Runtimes | Stop> {
  const { o, paths, notes } = run;
  const needs = runtimesNeeded(o.engines);
  const runtimes: { cel?: Runtimes["cel"]; rego?: Runtimes["rego"]; cacheDir: string | undefined } = { cacheDir: run.cacheDir };
  if (needs.rego && (hasCases || paths.suites.length > 0)) {
    const r = await awaitRuntime(run.start.rego ?? regoCompiler());
    if (r.missing) {
      if (paths.suites.length > 0 || o.engines.length === 1) return { status: "invalid", errors: [r.missing] };
      notes.push(`gatekeeper engine not run: ${r.missing.message}`);
    } else if (r.value) {
      runtimes.rego = r.value;
      notes.push(`Rego compiled by ${r.value.description}`);
    }
  }
  const celNames = o.engines.filter((e) => e === "kyverno" || e === "kubernetes");
  if ((celNames.length && hasCases) || paths.kyverno.length > 0) {
    o.onPhase?.("starting the CEL engine");
    const r = await awaitRuntime(run.start.cel ?? startRuntimes({ cel: true }).cel);
    if (r.missing) {
      if (paths.kyverno.length > 0 || o.engines.length === celNames.length) return { status: "invalid", errors: [r.missing] };
      notes.push(`${celNames.join(", ")} not run: ${r.missing.message}`);
    } else if (r.value) runtimes.cel = r.value;
  }
  return runtimes;
}

/** policyc's cases, on this thread and, for a large run, half of them on the second. */
async function runCases(run: RunState, selected: PolicycCase[], runtimes: Runtimes): Promise<Stop | undefined> {
  const { o } = run;
  const names = ENGINE_NAMES.filter((e) => o.engines.includes(e))
    // An engine whose runtime is missing (noted above) is left out, on both threads.
    .filter((e) => e === "reference" || (e === "gatekeeper" ? runtimes.rego : runtimes.cel) !== undefined);
  // policyc's cases are admission requests: an expired PolicyException no longer applies.
  const now = Date.now();
  const engines: CaseEngines = { names, runtimes, now };
  const halves = run.second ? splitCases(selected) : undefined;
  // Too few cases to split: the thread would only compete for the cores.
  if (!halves) void run.second?.close();
  let done = 0;
  const progress = (n: number) => {
    done += n;
    o.onProgress?.(done, selected.length);
  };
  if (runtimes.rego) o.onPhase?.("compiling Rego");
  const [mine, theirs] = halves ?? [selected, []];
  const far = halves ? run.second!.run(theirs, { names, cacheDir: run.cacheDir, now }, o.cwd, progress) : undefined;
  // Waited for below; a failure is reported there, after this thread's half.
  far?.catch(() => {});
  const near = await evaluateCases(mine, engines, o.cwd, {
    ready: () => o.onPhase?.(`evaluating ${selected.length} cases`),
    case: () => progress(1),
  });
  const parts = [near, ...(far ? [await far] : [])];
  if (halves) run.notes.push(`cases run on two threads: ${mine.length} here, ${theirs.length} on the second`);
  return collectOutcomes(run, parts);
}

/** The rows of every case, or why the run stops: policyc's own bug (internal), a case's bad input. */
async function collectOutcomes(run: RunState, parts: readonly CaseEvaluation[]): Promise<Stop | undefined> {
  const internal = parts.flatMap((p) => p.internal);
  if (internal.length) return { status: "internal", errors: internal };
  const stats = parts.flatMap((p) => (p.stats ? [p.stats] : []));
  if (stats.length)
    run.notes.push(
      `Rego cache: ${stats.reduce((n, s) => n + s.compiled, 0)} compiled, ${stats.reduce((n, s) => n + s.cached, 0)} from cache`,
    );
  const inputErrors: Issue[] = [];
  for (const outcome of parts.flatMap((p) => p.outcomes)) {
    if ("issue" in outcome) inputErrors.push(outcome.issue);
    else {
      run.rows.push(...outcome.rows);
      run.disagreements += outcome.disagreed;
      for (const w of outcome.warnings) run.notes.push(`warning: ${w}`);
    }
  }
  if (inputErrors.length) return { status: "invalid", errors: await locateIssues(inputErrors, run.o.cwd) };
  return undefined;
}

/**
 * A run whose policies' cases stay on this thread runs its mutation cases on a second one
 * meanwhile: both compile CEL (single-threaded WebAssembly each), and neither needs the other.
 * `POLICYC_THREADS=1` (and watch mode's re-runs) keep them here.
 */
function mutationCasesOnThread(run: RunState, runtimes: Runtimes): { thread: CaseThread; done: Promise<MutationCaseOutcome> } | undefined {
  if (run.second || run.o.singleThread || !runtimes.cel) return undefined;
  if (process.env["POLICYC_THREADS"] === "1" || os.availableParallelism() < 2) return undefined;
  const thread = CaseThread.start();
  thread.adoptCel(runtimes.cel.module);
  const done = thread.mutationCases({ mutations: run.mutations, names: mutationEngineNames(run), cacheDir: run.cacheDir, cwd: run.o.cwd });
  // Waited for after the policies' cases; a failure is reported there.
  done.catch(() => {});
  return { thread, done };
}

const mutationEngineNames = (run: RunState) => ENGINE_NAMES.filter((e) => run.o.engines.includes(e));

/** policyc's mutation cases, on every engine (mutation-cases.ts): here, or the second thread's answer. */
async function runMutations(run: RunState, runtimes: Runtimes, far?: Promise<MutationCaseOutcome>): Promise<Stop | undefined> {
  const m = far ? await far : runMutationCases(run.mutations, mutationEngineNames(run), runtimes, run.o.cwd);
  if (m.issues.some((i) => i.code === "internal_error")) return { status: "internal", errors: m.issues };
  if (m.issues.length) return { status: "invalid", errors: await locateIssues(m.issues, run.o.cwd) };
  run.rows.push(...m.rows);
  run.disagreements += m.disagreements;
  return undefined;
}

/** gator suites, as gator verify runs them. */
async function runGator(run: RunState, runtimes: Runtimes): Promise<Stop | undefined> {
  const parsed: GatorSuite[] = [];
  const errors: Issue[] = [];
  for (const s of run.paths.suites) {
    const r = readGatorSuite(s, run.o.cwd);
    if (r.ok) parsed.push(r.suite);
    else errors.push(r.issue);
  }
  if (errors.length) return { status: "invalid", errors: uniqueIssues(errors) };
  const g = await runGatorSuites(parsed, runtimes, run.o.cwd, run.selection.selectOne, run.o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (g.issues.length) return { status: "invalid", errors: uniqueIssues(g.issues) };
  run.notes.push(`gator suites: ${parsed.length}; templates ${g.stats.compiled} compiled, ${g.stats.cached} from cache`);
  run.rows.push(...g.rows);
  return undefined;
}

/** Kyverno CLI test folders, as the Kyverno CLI runs them. */
async function runKyverno(run: RunState, runtimes: Runtimes): Promise<Stop | undefined> {
  const k = await runKyvernoTests(run.paths.kyverno, runtimes, run.o.cwd, run.selection.selectOne);
  if (k.issues.length) return { status: "invalid", errors: uniqueIssues(k.issues) };
  run.notes.push(`Kyverno CLI tests: ${run.paths.kyverno.length}`);
  run.rows.push(...k.rows);
  return undefined;
}

export { ENGINE_NAMES };
