/**
 * Reporters on the command line, shared by `test` and `apply`: `--reporter NAME[=FILE]` (repeatable),
 * `--output FILE` as shorthand for the single reporter's file, colour decided per destination, and
 * the phases of a long run on stderr.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../engines/index.js";
import {
  REPORTERS,
  renderGithub,
  renderJsonChunks,
  renderJunit,
  renderPolicyReports,
  renderPretty,
  renderSarif,
  type Report,
  type TestReporter,
} from "../harness/index.js";
import type { Io } from "./output.js";

export interface ReporterSpec {
  readonly name: TestReporter;
  readonly file?: string;
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The reporters a run writes: each `--reporter NAME[=FILE]`; none named: pretty, plus github
 * annotations inside GitHub Actions. `--output FILE` names the file of the single reporter.
 */
export function parseReporters(values: readonly string[], output: string | undefined, allowed: readonly TestReporter[]): ReporterSpec[] {
  const specs: ReporterSpec[] = values.map((v) => {
    const [name, ...file] = v.split("=");
    if (!(allowed as readonly string[]).includes(name!))
      throw new Error(`unknown reporter "${name}" (expected ${allowed.join(", ")}, each optionally =FILE)`);
    return { name: name as TestReporter, ...(file.length ? { file: file.join("=") } : {}) };
  });
  if (specs.length === 0) {
    specs.push({ name: "pretty" });
    if (process.env.GITHUB_ACTIONS === "true" && allowed.includes("github")) specs.push({ name: "github" });
  }
  if (output !== undefined) {
    if (specs.length !== 1) throw new Error("--output names the file of a single reporter; with several, write --reporter NAME=FILE");
    specs[0] = { ...specs[0]!, file: output };
  }
  const toStdout = specs.filter((s) => !s.file);
  const machine = toStdout.filter((s) => s.name !== "pretty" && s.name !== "github");
  if (machine.length > 1 || (machine.length === 1 && toStdout.length > 1))
    throw new Error(
      `only one reporter can write to standard output besides pretty and github; give the others a file (--reporter ${machine[0]!.name}=FILE)`,
    );
  return specs;
}

/**
 * Whether text written to a stream may be coloured: never for files; `--no-color` and NO_COLOR
 * turn it off, FORCE_COLOR (other than 0) on; otherwise only when the stream is a terminal.
 */
export function useColour(destination: "stdout" | "stderr" | "file", io: Io, noColor: boolean): boolean {
  if (destination === "file" || noColor) return false;
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  return destination === "stdout" ? Boolean(io.outIsTTY) : io.isTTY;
}

export const policycVersion = (): string =>
  (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** The text of one reporter, in pieces: the JSON report a batch of rows at a time (a large apply's is hundreds of MB as one string). */
function render(spec: ReporterSpec, report: Report, colour: boolean, verbose: boolean, groupBy: "policy" | "resource"): Iterable<string> {
  switch (spec.name) {
    case "pretty":
      return [renderPretty(report, colour, verbose, groupBy)];
    case "json":
      return batched(renderJsonChunks(report));
    case "junit":
      return [renderJunit(report)];
    case "sarif":
      return [renderSarif(report, policycVersion())];
    case "github":
      return [renderGithub(report)];
    case "policy-report":
      return [renderPolicyReports(report, new Date())];
  }
}

/** Writes every reporter's text to its file or to stdout; an error message when a file cannot be written. */
export function writeReports(
  report: Report,
  specs: readonly ReporterSpec[],
  io: Io,
  o: { noColor: boolean; verbose: boolean; groupBy: "policy" | "resource" },
): string | undefined {
  for (const spec of specs) {
    const pieces = render(spec, report, useColour(spec.file ? "file" : "stdout", io, o.noColor), o.verbose, o.groupBy);
    if (!spec.file) {
      for (const text of pieces) io.out(text);
      continue;
    }
    try {
      const fd = openSync(path.resolve(io.cwd, spec.file), "w");
      try {
        for (const text of pieces) writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === "ENOENT"
          ? "its directory does not exist"
          : err.code === "EISDIR"
            ? "it is a directory"
            : err.code === "EACCES"
              ? "permission denied"
              : err.message;
      return `cannot write the ${spec.name} report to ${spec.file}: ${why}`;
    }
  }
  return undefined;
}

/** Pieces of text joined into batches of about a megabyte (fewer writes than pieces). */
function* batched(pieces: Iterable<string>): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  for (const p of pieces) {
    batch.push(p);
    size += p.length;
    if (size >= 1 << 20) {
      yield batch.join("");
      [batch, size] = [[], 0];
    }
  }
  if (batch.length) yield batch.join("");
}

/** Whether every reporter writes to a file (then the summary line goes to stderr). */
export const allToFiles = (specs: readonly ReporterSpec[]) => specs.every((s) => s.file);

/**
 * Phases of a long run on stderr: a live line on a terminal, one line per phase elsewhere (CI);
 * progress counts only on a terminal.
 */
export function phaseReporter(io: Io, command: string) {
  let live = false;
  return {
    phase(text: string) {
      if (io.isTTY) {
        io.err(`\r\x1b[2Kpolicyc ${command}: ${text}…`);
        live = true;
      } else if (io.ci) io.err(`policyc ${command}: ${text}\n`);
    },
    progress(done: number, total: number) {
      if (!io.isTTY) return;
      io.err(`\r\x1b[2Kpolicyc ${command}: evaluating ${done} of ${total}`);
      live = true;
    },
    done() {
      if (live) io.err("\r\x1b[2K");
      live = false;
    },
  };
}

export { REPORTERS };
