/**
 * `policyc test --watch`: the engines stay warm between runs; after a change, only what changed
 * is reloaded and only the cases it affects run again.
 * - A policy file is re-imported (by its modification time); a helper module (under `lib/`, `_*.ts`,
 *   anything a policy imports) restarts the loader thread so every import is fresh.
 * - The policies whose compiled form or cases changed, and those whose fixtures changed, run again;
 *   a change to anything else (a suite, a file no case names) runs everything.
 * - A file that does not load or compile is reported, and the watch goes on.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { CompiledPolicy } from "../build/index.js";
import { restartLoader } from "../load/index.js";
import { clearFixtureCache } from "./fixtures.js";
import { runTests, type TestOptions, type TestOutcome } from "./run.js";
import { watchTree } from "./watch-tree.js";

export interface WatchOptions extends TestOptions {
  /** Each run's outcome, and what started it (undefined: the first run). */
  readonly onRun: (outcome: TestOutcome, changed: readonly string[] | undefined, ms: number) => void;
  /** Stops watching. */
  readonly signal?: AbortSignal;
  /** How long to wait for a burst of file events to settle (ms). */
  readonly debounceMs?: number;
}

const MODULE = /\.(m?ts|m?js)$/;
const isFolder = (p: string) => existsSync(p) && statSync(p).isDirectory();
const DATA = /\.(ya?ml|json)$/;

/** Every fixture path a policy's cases (and its exceptions' cases) name, resolved against the file that names it. */
function fixturesOf(p: CompiledPolicy, cwd: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, v: unknown) => {
    if (typeof v === "string" && DATA.test(v)) out.push(path.resolve(dir, v));
    else if (Array.isArray(v)) v.forEach((x) => walk(dir, x));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => walk(dir, x));
  };
  walk(path.dirname(path.resolve(cwd, p.file)), p.tests);
  for (const e of p.exceptionTests) walk(path.dirname(path.resolve(cwd, e.file)), e.test);
  return out;
}

/** What identifies a policy's behaviour and cases: its IR (exceptions included), its cases and its exceptions' cases. */
const fingerprint = (p: CompiledPolicy) => JSON.stringify([p.policy, p.tests, p.exceptionTests]);

/** Runs the tests, then again after every change, until the signal aborts. */
export async function watchTests(o: WatchOptions): Promise<void> {
  let previous = new Map<string, string>();
  let fixtures = new Map<string, Set<string>>();
  let policyFiles = new Set<string>();
  let changed: string[] | undefined;
  let runAll = true;
  const affected = (compiled: readonly CompiledPolicy[]) => {
    const next = new Map(compiled.map((p) => [p.policy.name, fingerprint(p)]));
    const names = new Set<string>();
    for (const [name, print] of next) if (previous.get(name) !== print) names.add(name);
    for (const file of changed ?? []) for (const name of fixtures.get(file) ?? []) names.add(name);
    previous = next;
    policyFiles = new Set(compiled.flatMap((p) => [p.file, ...p.exceptionTests.map((e) => e.file)]).map((f) => path.resolve(o.cwd, f)));
    fixtures = new Map();
    for (const p of compiled) for (const f of fixturesOf(p, o.cwd)) fixtures.set(f, new Set([...(fixtures.get(f) ?? []), p.policy.name]));
    return runAll ? undefined : names;
  };
  const run = async () => {
    const started = performance.now();
    // Watch mode stays on one thread: its engines and the loader's imports stay warm for re-runs.
    const outcome = await runTests({ ...o, affected, singleThread: true });
    o.onRun(outcome, changed, performance.now() - started);
  };

  // Watching starts before the first run: a change made while it runs is not lost.
  const roots = [...new Set((o.paths.length ? o.paths : [o.policies]).map((p) => path.resolve(o.cwd, p)))];
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const flush = () => {
    const files = [...pending];
    pending.clear();
    running = running.then(async () => {
      // A module that is not a policy file (a helper it imports, a new file) changed: every import must be fresh.
      if (files.some((f) => MODULE.test(f) && !policyFiles.has(f))) await restartLoader();
      clearFixtureCache();
      changed = files;
      const known = new Set([...fixtures.keys()]);
      runAll = files.some((f) => !MODULE.test(f) && !known.has(f));
      await run();
    });
  };
  const tree = watchTree(roots, (file) => {
    // A file of interest, or a whole folder (a root that went away or came back).
    if (!MODULE.test(file) && !DATA.test(file) && !roots.includes(file) && !isFolder(file)) return;
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(flush, o.debounceMs ?? 50);
  });
  running = run();
  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) return resolve();
    o.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  clearTimeout(timer);
  tree.close();
  await running;
}
