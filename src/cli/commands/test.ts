import path from "node:path";
import { Command, Option } from "commander";
import {
  DEFAULT_TIMEOUT_MS,
  ENGINE_NAMES,
  parseShard,
  parseCaseSelector,
  summaryLine,
  runTests,
  watchTests,
  type CaseSelector,
  type EngineName,
  type TestOptions,
  type TestOutcome,
} from "../../harness/index.js";
import { EXIT, LOAD_TIMEOUT_FLAG, reportIssues, secondsFlag, type Io } from "../output.js";
import { allToFiles, collect, parseReporters, phaseReporter, writeReports, type ReporterSpec } from "../reporting.js";

interface TestFlags {
  policies: string;
  engine: string;
  reporter: string[];
  output?: string;
  filter?: string;
  shard?: string;
  cache: boolean;
  timeout: string;
  passWithNoTests?: boolean;
  loadTimeout: string;
  run?: string;
  verbose?: boolean;
  watch?: boolean;
  detailedResults?: boolean;
  failOnly?: boolean;
  color: boolean;
  removeColor?: boolean;
  testCaseSelector?: string;
}

/** gator's recursive form `DIR/...` is the folder itself: policyc always walks folders recursively. */
const gatorPath = (p: string) => (p === "..." ? "." : p.endsWith("/...") ? p.slice(0, -4) || "/" : p);

export function parseEngines(s: string): EngineName[] {
  if (s === "all") return [...ENGINE_NAMES];
  const list = s
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of list)
    if (!(ENGINE_NAMES as readonly string[]).includes(e))
      throw new Error(`unknown engine "${e}" (expected all or a list of ${ENGINE_NAMES.join(", ")})`);
  if (list.length === 0) throw new Error("--engine needs at least one engine");
  return list as EngineName[];
}

/** `policyc test` (and `policyc verify`, the name gator users know). */
export function testCommand(io: Io, setExit: (code: number) => void, name: "test" | "verify" = "test"): Command {
  return new Command(name)
    .description(
      name === "test"
        ? "run policy test cases and existing suites (gator) on the real engines"
        : "run gator verify suites (same as policyc test)",
    )
    .argument("[paths...]", "policy folders, gator suite files or folders (default: --policies)")
    .option("--policies <dir>", "directory of policy files", "policies")
    .option("--engine <list>", `all, or a comma-separated list of ${ENGINE_NAMES.join(", ")}`, "all")
    .option("--reporter <name[=file]>", "pretty, json, junit, sarif, github; repeat for several (NAME=FILE writes a file)", collect, [])
    .option("--output <file>", "write the single reporter's output to a file instead of stdout")
    .option("--filter <text>", "only cases whose policy/case name contains the text")
    .option("--shard <i/n>", "run shard I of N (1-based), for CI matrices")
    .option("--no-cache", "compile Rego without the Wasm cache")
    .option(...LOAD_TIMEOUT_FLAG)
    .option("--pass-with-no-tests", "exit 0 when no test case ran (by default a run that tested nothing fails)")
    .option("--timeout <seconds>", "time limit of one evaluation of a user's ConstraintTemplate", String(DEFAULT_TIMEOUT_MS / 1000))
    .option("--run <regex>", "only cases and suite tests whose id (test/case, policy/case) matches the regular expression (gator's --run)")
    .option("--test-case-selector <selector>", "only results of policy=NAME,rule=NAME,resource=NAME (the Kyverno CLI's option)")
    .option("-v, --verbose", "print every case, passing ones too, with their messages")
    .option("-w, --watch", "keep the engines warm and re-run the cases a change affects")
    .addOption(new Option("--detailed-results", "the Kyverno CLI's name for --verbose").hideHelp())
    .addOption(new Option("--fail-only", "print only what did not pass (the default; the Kyverno CLI's option)").hideHelp())
    .option("--no-color", "no colours in the report (also: the NO_COLOR environment variable)")
    .addOption(new Option("--remove-color", "the Kyverno CLI's name for --no-color").hideHelp())
    .action(async (rawPaths: string[], flags: TestFlags) => setExit(await testAction(io, name, rawPaths.map(gatorPath), flags)));
}

/** What the flags ask for, checked: the run's options and its reporters. */
interface ParsedTest {
  readonly options: Omit<TestOptions, "cwd" | "paths" | "onPhase" | "onProgress">;
  readonly reporters: ReporterSpec[];
}

function parseTestFlags(flags: TestFlags): ParsedTest {
  let run: RegExp | undefined;
  if (flags.run !== undefined) {
    try {
      run = new RegExp(flags.run);
    } catch {
      throw new Error(`--run is not a valid regular expression: ${flags.run}`);
    }
  }
  const selector: CaseSelector | undefined = flags.testCaseSelector !== undefined ? parseCaseSelector(flags.testCaseSelector) : undefined;
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  return {
    options: {
      policies: flags.policies,
      engines: parseEngines(flags.engine),
      ...(flags.filter ? { filter: flags.filter } : {}),
      ...(run ? { run } : {}),
      ...(selector ? { selector } : {}),
      ...(shard ? { shard } : {}),
      ...(flags.cache ? {} : { cacheDir: false as const }),
      timeoutMs: secondsFlag("--timeout", flags.timeout),
      loadTimeoutMs: secondsFlag("--load-timeout", flags.loadTimeout),
    },
    reporters: parseReporters(flags.reporter, flags.output, ["pretty", "json", "junit", "sarif", "github"]),
  };
}

async function testAction(io: Io, name: string, paths: string[], flags: TestFlags): Promise<number> {
  let parsed: ParsedTest;
  try {
    parsed = parseTestFlags(flags);
  } catch (e) {
    io.err(`policyc ${name}: ${(e as Error).message}\n`);
    return EXIT.invalid;
  }
  const phases = phaseReporter(io, name);
  const options: TestOptions = {
    ...parsed.options,
    // Reporters that point at every case want each case's own line.
    locateCases: parsed.reporters.some((r) => r.name === "junit" || r.name === "sarif" || r.name === "github"),
    cwd: io.cwd,
    paths,
    onPhase: (p: string) => phases.phase(p),
    onProgress: (done: number, total: number) => phases.progress(done, total),
  };
  const render = { noColor: !flags.color || Boolean(flags.removeColor), verbose: Boolean(flags.verbose || flags.detailedResults) };
  if (flags.watch) {
    // Runs until interrupted; each run's report, then what it waits for.
    await watchTests({
      ...options,
      onRun: (outcome, changed, ms) => {
        phases.done();
        if (changed && io.isTTY) io.out("\x1b[2J\x1b[H");
        if (changed)
          io.out(
            `policyc ${name}: ${changed.map((f) => path.relative(io.cwd, f)).join(", ")} changed; re-ran in ${(ms / 1000).toFixed(2)} s\n`,
          );
        if (outcome.status !== "ran") reportIssues(outcome.errors, "pretty", io);
        else writeReports(outcome.report, parsed.reporters, io, { ...render, verbose: Boolean(flags.verbose), groupBy: "policy" });
        io.err(`policyc ${name}: watching ${paths.length ? paths.join(", ") : flags.policies} for changes (Ctrl-C to stop)\n`);
      },
    });
    return EXIT.ok;
  }
  const outcome = await runTests(options);
  phases.done();
  return reportTestOutcome(io, name, outcome, parsed, flags, render);
}

/** Writes the run's reports and answers its exit code: 1 for failures, and for a run that tested nothing. */
function reportTestOutcome(
  io: Io,
  name: string,
  outcome: TestOutcome,
  parsed: ParsedTest,
  flags: TestFlags,
  render: { noColor: boolean; verbose: boolean },
): number {
  const { reporters } = parsed;
  if (outcome.status !== "ran") {
    reportIssues(outcome.errors, reporters.some((r) => r.name === "json" && !r.file) ? "json" : "pretty", io);
    io.err(`policyc ${name}: ${outcome.status === "invalid" ? "bad input" : "internal error"}; no test ran\n`);
    return outcome.status === "invalid" ? EXIT.invalid : EXIT.internal;
  }
  const { report } = outcome;
  const failure = writeReports(report, reporters, io, { ...render, groupBy: "policy" });
  if (failure) {
    io.err(`policyc ${name}: ${failure}\n`);
    return EXIT.invalid;
  }
  if (allToFiles(reporters)) io.err(summaryLine(report, false) + "\n");
  if (!reporters.some((r) => r.name === "pretty" && !r.file)) for (const n of report.notes) io.err(`note: ${n}\n`);
  const s = report.summary;
  if (s.failed + s.errors > 0) return EXIT.failed;
  if (s.evaluations > 0 && s.passed + s.warnings > 0) return EXIT.ok;
  // A run that tested nothing never passes: a --filter typo, empty suites, policies without cases,
  // or rows that were all skipped (evaluated, but nothing judged).
  const shard = parsed.options.shard;
  if (shard && outcome.matched > 0) {
    io.err(`policyc ${name}: shard ${shard.index}/${shard.count} is empty (fewer cases than shards)\n`);
    return EXIT.ok;
  }
  if (flags.passWithNoTests) return EXIT.ok;
  if (s.evaluations > 0) {
    io.err(
      `policyc ${name}: every row was skipped (no policy applied to what it names), so nothing was judged; pass --pass-with-no-tests to accept that\n`,
    );
    return EXIT.failed;
  }
  io.err(
    `policyc ${name}: no test cases ran${flags.filter ? ` (--filter "${flags.filter}" matched none)` : ""}${flags.run ? ` (--run "${flags.run}" matched none)` : ""}${parsed.options.selector ? " (--test-case-selector matched none)" : ""}; add cases (tests: in definePolicy), or pass --pass-with-no-tests\n`,
  );
  return EXIT.failed;
}
