/**
 * A large `apply` on both cores: a second Node process evaluates every other resource (part 2 of
 * 2) while this one evaluates the rest, and the two reports are merged into the report one process
 * gives, row for row. Processes, not threads: measured on this project's 2-core machine, two
 * threads of one process ran their WebAssembly at half speed each (no gain, docs/internals.md),
 * while two processes ran side by side at about 70% each. Each process reads the inputs, loads the
 * policies and compiles them itself (the second starts once the first has read the inputs and
 * knows the run is large), so the gain is in the evaluation, which is most of a large run.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ApplyOptions, ApplyOutcome } from "./apply.js";
import type { ResultRow } from "./report.js";
import { summarize } from "./report.js";
import type { Shard } from "./selection.js";

/** From how many resources `apply` splits its work with a second process (fewer: the second process's start-up costs more than it saves). */
export const SPLIT_FROM = 5000;

/** What a part of a split run tells the merge besides its report. */
export interface PartInfo {
  /** Every resource's label, in input order (the whole run's, before the split). */
  readonly order: readonly string[];
  /** Where each kind of row ends in the part's rows: invalid inputs, TypeScript mutations, YAML mutations, validations. */
  readonly segments: readonly number[];
  readonly notApplicable: number;
  readonly disagreements: number;
  /** Resources of the part decided before a signal stopped it. */
  readonly stoppedAt?: number;
}

/**
 * Whether this run splits with a second process: enough resources, two cores, and nothing only
 * this process has (standard input, the mutated objects `--mutate-out` writes, a part already).
 * `POLICYC_PROCESSES=1` keeps any run in one process; `POLICYC_PROCESSES=2` splits any run
 * (the tests compare the two reports).
 */
export function splits(o: ApplyOptions, resources: number): boolean {
  const forced = process.env["POLICYC_PROCESSES"];
  if (o.part || o.keepMutated || o.inputs.includes("-") || forced === "1") return false;
  if (new Set(o.inputs).size !== o.inputs.length) return false;
  if (forced === "2") return resources > 1;
  return resources >= SPLIT_FROM && os.availableParallelism() >= 2;
}

/** The second process's outcome; `stopped`: a signal ended it before it could report (nothing decided). */
export type SecondOutcome = ApplyOutcome | { readonly status: "stopped" };

export interface SecondProcess {
  readonly done: Promise<SecondOutcome>;
  /** Asks the process to stop (a signal stopped this one): it reports the rows it decided. */
  stop(): void;
}

const ENTRY = new URL("./apply-process-entry.js", import.meta.url);

/**
 * The second process's outcome, written as lines: the outcome without its rows, then one row a
 * line (JSON never holds a raw newline). At 20,000 objects a part's rows are ~250,000: as one JSON
 * text they were a string of ~100 MB in each process, beside the rows themselves.
 */
export function writeOutcome(file: string, outcome: ApplyOutcome): void {
  const fd = openSync(file, "w");
  try {
    if (outcome.status !== "ran") {
      writeSync(fd, JSON.stringify(outcome) + "\n");
      return;
    }
    const { results, ...report } = outcome.report;
    writeSync(fd, JSON.stringify({ ...outcome, report }) + "\n");
    let chunk = "";
    for (const row of results) {
      chunk += JSON.stringify(row) + "\n";
      if (chunk.length >= 1 << 20) {
        writeSync(fd, chunk);
        chunk = "";
      }
    }
    if (chunk) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

/** The outcome writeOutcome wrote, read a megabyte at a time. */
export function readOutcome(file: string): ApplyOutcome {
  const fd = openSync(file, "r");
  const buffer = Buffer.alloc(1 << 20);
  const decoder = new StringDecoder("utf8");
  let head: ApplyOutcome | undefined;
  const rows: ResultRow[] = [];
  let rest = "";
  const take = (line: string) => {
    if (!line) return;
    if (head) rows.push(JSON.parse(line) as ResultRow);
    else head = JSON.parse(line) as ApplyOutcome;
  };
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const lines = (rest + decoder.write(buffer.subarray(0, n))).split("\n");
      rest = lines.pop()!;
      lines.forEach(take);
    }
    take(rest + decoder.end());
  } finally {
    closeSync(fd);
  }
  if (!head) throw new Error("the outcome file is empty");
  return head.status === "ran" ? { ...head, report: { ...head.report, results: rows } } : head;
}

/** Starts part 2 of 2 of the run in a second Node process. */
export function startSecondProcess(o: ApplyOptions): SecondProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), "policyc-apply-part-"));
  const optionsFile = path.join(dir, "options.json");
  const outcomeFile = path.join(dir, "outcome.ndjson");
  const { onPhase: _phase, onProgress: _progress, stdin: _stdin, signal: _signal, ...options } = o;
  const part: Shard = { index: 2, count: 2 };
  writeFileSync(optionsFile, JSON.stringify({ ...options, part }));
  const child = spawn(process.execPath, [fileURLToPath(ENTRY), optionsFile, outcomeFile], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, POLICYC_PROCESSES: "1" },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  let stopping = false;
  const done = new Promise<SecondOutcome>((resolve) => {
    const failed = (why: string): ApplyOutcome => ({
      status: "internal",
      errors: [
        {
          code: "process_failed",
          message: `apply's second process ${why}${stderr ? `: ${stderr.trim()}` : ""}`,
          severity: "error",
          path: [],
        },
      ],
    });
    child.on("error", (e) => resolve(failed(`did not start (${e.message})`)));
    child.on("close", (code, signal) => {
      try {
        if (code === 0) resolve(readOutcome(outcomeFile));
        else resolve(stopping && signal ? { status: "stopped" } : failed(`ended with ${signal ?? `exit code ${code}`}`));
      } catch (e) {
        resolve(failed(`gave no outcome (${(e as Error).message})`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  return {
    done,
    stop: () => {
      stopping = true;
      child.kill("SIGTERM");
    },
  };
}

/** Rows of several parts, each in input order, into one list in input order (stable: a resource's rows keep their order). */
function interleave(parts: readonly (readonly ResultRow[])[], rank: (r: ResultRow) => number): ResultRow[] {
  return parts
    .flatMap((rows, p) => rows.map((r, i) => ({ r, key: rank(r), p, i })))
    .sort((a, b) => a.key - b.key || a.p - b.p || a.i - b.i)
    .map((x) => x.r);
}

/** The note of how many policy/resource pairs did not apply (apply's first note when there are any; notesOf). */
export const notApplicableNote = (n: number): string => `${n} policy/resource pairs where the policy does not apply`;

/** The report of both parts, as one process would have given it. */
export function mergeParts(
  a: ApplyOutcome & { readonly status: "ran" },
  second: (ApplyOutcome & { readonly status: "ran" }) | undefined,
  durationMs: number,
): ApplyOutcome {
  const pa = a.part!;
  // A second process a signal ended before it reported: its part decided nothing.
  const b = second ?? { ...a, report: { ...a.report, results: [] }, resources: pa.order.length - a.resources, sent: 0 };
  const pb = second?.part ?? { ...pa, segments: pa.segments.map(() => 0), notApplicable: 0, disagreements: 0, stoppedAt: 0 };
  const order = new Map(pa.order.map((label, i) => [label, i]));
  const rank = (r: ResultRow) => order.get(r.case) ?? -1;
  const segment = (o: typeof a, p: PartInfo, s: number) => o.report.results.slice(p.segments[s - 1] ?? 0, p.segments[s]);
  const rows = pa.segments.flatMap((_, s) => interleave([segment(a, pa, s), segment(b, pb, s)], rank));
  const notApplicable = pa.notApplicable + pb.notApplicable;
  const disagreements = pa.disagreements + pb.disagreements;
  const resources = a.resources + b.resources;
  const stopped = pa.stoppedAt !== undefined || pb.stoppedAt !== undefined;
  const decided = (pa.stoppedAt ?? a.resources) + (pb.stoppedAt ?? b.resources);
  return {
    status: "ran",
    report: {
      ...a.report,
      summary: {
        ...summarize(rows, disagreements, durationMs),
        cases: resources,
        ...(stopped ? { incomplete: `stopped by a signal after ${decided} of ${resources} resources; the rows decided are reported` } : {}),
      },
      results: rows,
      notes: [
        ...(notApplicable ? [notApplicableNote(notApplicable)] : []),
        ...a.report.notes.filter((n) => n !== notApplicableNote(pa.notApplicable)),
      ],
    },
    resources,
    sent: a.sent + b.sent,
  };
}
