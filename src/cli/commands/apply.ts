import { existsSync } from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import {
  DEFAULT_TIMEOUT_MS,
  ENGINE_NAMES,
  mutatedManifests,
  parseShard,
  runApply,
  writeMutatedManifests,
  type ApplyOptions,
  type EngineName,
  type FailOn,
} from "../../harness/index.js";
import { configOf } from "../config.js";
import { EXIT, LOAD_TIMEOUT_FLAG, reportIssues, secondsFlag, type Io } from "../output.js";
import { allToFiles, collect, parseReporters, phaseReporter, writeReports, type ReporterSpec } from "../reporting.js";

interface ApplyFlags {
  namespace?: string;
  cluster: string[];
  includePolicy: string[];
  excludePolicy: string[];
  ignore: string[];
  auditWarn?: boolean;
  policies?: string;
  policy: string[];
  mode: "admission" | "audit";
  namespaces?: string;
  clusterScoped?: string;
  engine: string;
  failOn?: string;
  reporter: string[];
  output?: string;
  verbose?: boolean;
  color: boolean;
  cache: boolean;
  timeout: string;
  loadTimeout: string;
  as?: string;
  asGroup: string[];
  strictInput?: boolean;
  passWithNoEvaluations?: boolean;
  shard?: string;
  mutate: boolean;
  mutateOut?: string;
}

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** `policyc apply`: check manifests against policies before they reach a cluster. */
export function applyCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("apply")
    .description("evaluate Kubernetes manifests (files, folders, - for stdin) against policies, as admission would")
    .argument(
      "[inputs...]",
      "manifest files or folders (.yaml, .yml, .json; recursive), or - for standard input (default: the configuration's apply.inputs)",
    )
    .option("--policies <dir>", "TypeScript policies (default: policies/ when it exists and no --policy is given)")
    .option(
      "--policy <file|dir>",
      "existing YAML policies: Kyverno, ValidatingAdmissionPolicy + binding, Gatekeeper template + constraint (repeatable)",
      collect,
      [],
    )
    .addOption(
      new Option("--mode <mode>", "admission: each resource is a CREATE; audit: as background scans see it")
        .choices(["admission", "audit"])
        .default("admission"),
    )
    .option("--as <username>", "the requesting user, as kubectl's --as (admission; default policyc-test)")
    .option("--as-group <group>", "a group of the requesting user, as kubectl's --as-group (repeatable)", collect, [])
    .option("--namespaces <file>", "Namespace objects (with labels) besides those among the inputs")
    .option(
      "--cluster <path>",
      "objects the cluster holds besides the inputs, for policies that look objects up (kubectl get -A -o yaml output; repeatable)",
      collect,
      [],
    )
    .option("-n, --namespace <ns>", "where objects without a namespace go, as kubectl apply -n (default: default)")
    .option("--include-policy <glob>", "only policies whose name matches (repeatable; kube-linter's --include)", collect, [])
    .option("--exclude-policy <glob>", "leave out policies whose name matches (repeatable; kube-linter's --exclude)", collect, [])
    .option("--ignore <glob>", "leave out input files or folders matching, relative to the working folder (repeatable)", collect, [])
    .option(
      "--audit-warn",
      "the Kyverno CLI's flag: Audit findings are reported, not failures (policyc's default; --fail-on audit fails on them)",
    )
    .option("--cluster-scoped <kinds>", "custom resource kinds that are cluster-scoped (besides CRDs among the inputs)")
    .option("--engine <list>", `all, or a comma-separated list of ${ENGINE_NAMES.join(", ")}`, "all")
    .option("--fail-on <actions>", "also exit 1 on findings of these actions: audit, warn (comma-separated)")
    .option("--reporter <name[=file]>", "pretty, json, junit, sarif, github, policy-report; repeat for several", collect, [])
    .option("--output <file>", "write the single reporter's output to a file")
    .option("-v, --verbose", "print every result, passing ones too")
    .option("--no-color", "no colours (also: NO_COLOR)")
    .option("--no-cache", "compile Rego without the Wasm cache")
    .option("--shard <i/n>", "check shard I of N of the resources (1-based), for CI matrices; every input is still the cluster")
    .option(
      "--strict-input",
      "an input document that is not a Kubernetes object is bad input (exit 2); by default it is an error row and the rest is evaluated",
    )
    .option("--no-mutate", "validate the manifests as written: skip the TypeScript mutations admission would run first")
    .option("--mutate-out <dir|->", "write the manifests as mutated (what the cluster would store) to a folder, or - for standard output")
    .option("--pass-with-no-evaluations", "exit 0 when no policy applies to any input (by default a run that evaluated nothing fails)")
    .option("--timeout <seconds>", "time limit of one evaluation of a ConstraintTemplate", String(DEFAULT_TIMEOUT_MS / 1000))
    .option(...LOAD_TIMEOUT_FLAG)
    .action(async (given: string[], flags: ApplyFlags, command: Command) => setExit(await applyAction(io, given, flags, command)));
}

/**
 * Runs `run` so that SIGINT or SIGTERM (a CI job's time limit) aborts its signal instead of ending
 * the process: apply stops between resources and still reports what it decided, marked
 * incomplete; the exit code is then the signal's (130, 143).
 */
async function stoppable<T>(run: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; stoppedBy?: NodeJS.Signals }> {
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy = signal;
    stop.abort();
  };
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  try {
    const value = await run(stop.signal);
    return { value, ...(stoppedBy ? { stoppedBy } : {}) };
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
}

/** What the flags ask for, checked: apply's options (but the inputs and the hooks) and its reporters. */
function parseApplyFlags(flags: ApplyFlags, io: Io): { options: Omit<ApplyOptions, "cwd" | "inputs">; reporters: ReporterSpec[] } {
  const engines = flags.engine === "all" ? [...ENGINE_NAMES] : (list(flags.engine) as EngineName[]);
  for (const e of engines)
    if (!ENGINE_NAMES.includes(e)) throw new Error(`unknown engine "${e}" (expected all or a list of ${ENGINE_NAMES.join(", ")})`);
  const failOn = list(flags.failOn) as FailOn[];
  for (const f of failOn) if (f !== "audit" && f !== "warn") throw new Error(`--fail-on takes audit and/or warn (got "${f}")`);
  if (flags.auditWarn && failOn.includes("audit")) throw new Error("--audit-warn and --fail-on audit say the opposite; give one");
  if (flags.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.namespace))
    throw new Error(`--namespace must be a namespace name (a DNS-1123 label), got "${flags.namespace}"`);
  const reporters = parseReporters(flags.reporter, flags.output, ["pretty", "json", "junit", "sarif", "github", "policy-report"]);
  const policies = flags.policies ?? (flags.policy.length === 0 && existsSync(path.resolve(io.cwd, "policies")) ? "policies" : undefined);
  const userInfo =
    flags.as !== undefined || flags.asGroup.length
      ? {
          ...(flags.as !== undefined ? { username: flags.as } : {}),
          ...(flags.asGroup.length ? { groups: flags.asGroup } : {}),
        }
      : undefined;
  return {
    options: {
      ...(io.stdin ? { stdin: io.stdin } : {}),
      ...(policies !== undefined ? { policies } : {}),
      policyPaths: flags.policy,
      mode: flags.mode,
      ...(userInfo ? { userInfo } : {}),
      ...(flags.namespaces ? { namespacesFile: flags.namespaces } : {}),
      ...(flags.cluster.length ? { clusterPaths: flags.cluster } : {}),
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      includePolicies: flags.includePolicy,
      excludePolicies: flags.excludePolicy,
      ignore: flags.ignore,
      clusterScopedKinds: list(flags.clusterScoped),
      engines,
      failOn,
      ...(flags.cache ? {} : { cacheDir: false as const }),
      timeoutMs: secondsFlag("--timeout", flags.timeout),
      loadTimeoutMs: secondsFlag("--load-timeout", flags.loadTimeout),
      ...(flags.strictInput ? { strictInput: true } : {}),
      ...(flags.shard !== undefined ? { shard: parseShard(flags.shard) } : {}),
      ...(flags.mutate === false ? { mutate: false } : {}),
      ...(flags.mutateOut !== undefined ? { keepMutated: true } : {}),
    },
    reporters,
  };
}

async function applyAction(io: Io, given: string[], flags: ApplyFlags, command: Command): Promise<number> {
  const inputs = given.length ? given : (configOf(command).apply?.inputs ?? []);
  if (inputs.length === 0) {
    io.err(
      "policyc apply: name the manifests to check (files, folders, or - for standard input), or set apply.inputs in policyc.config.ts\n",
    );
    return EXIT.invalid;
  }
  let parsed: ReturnType<typeof parseApplyFlags>;
  try {
    if (inputs.filter((i) => i === "-").length > 1) throw new Error("standard input (-) can be read once");
    parsed = parseApplyFlags(flags, io);
  } catch (e) {
    io.err(`policyc apply: ${(e as Error).message}\n`);
    return EXIT.invalid;
  }
  const phases = phaseReporter(io, "apply");
  const { value: outcome, stoppedBy } = await stoppable((signal) =>
    runApply({
      ...parsed.options,
      cwd: io.cwd,
      inputs,
      signal,
      onPhase: (p) => phases.phase(p),
      onProgress: (d, t) => phases.progress(d, t),
    }),
  );
  phases.done();
  if (outcome.status !== "ran") {
    reportIssues(outcome.errors, "pretty", io);
    io.err(`policyc apply: ${outcome.status === "invalid" ? "bad input" : "internal error"}; nothing was evaluated\n`);
    return outcome.status === "invalid" ? EXIT.invalid : EXIT.internal;
  }
  const { reporters } = parsed;
  // With the manifests on standard output, the report goes to standard error.
  const reportIo = flags.mutateOut === "-" ? { ...io, out: io.err } : io;
  if (flags.mutateOut !== undefined) {
    const manifests = mutatedManifests(outcome.mutated ?? [], io.cwd);
    if (flags.mutateOut === "-") io.out(manifests.map((m) => m.text).join(""));
    else writeMutatedManifests(path.resolve(io.cwd, flags.mutateOut), manifests);
  }
  const failure = writeReports(outcome.report, reporters, reportIo, {
    noColor: !flags.color,
    verbose: Boolean(flags.verbose),
    groupBy: "resource",
  });
  if (failure) {
    io.err(`policyc apply: ${failure}\n`);
    return EXIT.invalid;
  }
  if (!reporters.some((r) => r.name === "pretty" && !r.file)) for (const n of outcome.report.notes) io.err(`note: ${n}\n`);
  const s = outcome.report.summary;
  if (s.incomplete) {
    io.err(`policyc apply: ${s.incomplete}\n`);
    return 128 + (stoppedBy === "SIGINT" ? 2 : 15);
  }
  if (allToFiles(reporters))
    io.err(
      `policyc apply: ${outcome.resources} resources: ${s.failed} failed, ${s.errors} errors, ${s.warnings} warnings, ${s.disagreements} disagreements\n`,
    );
  if (outcome.resources === 0 && s.evaluations === 0 && !parsed.options.shard) {
    io.err("policyc apply: the inputs hold no resource\n");
    return EXIT.invalid;
  }
  if (s.failed + s.errors > 0) return EXIT.failed;
  if (parsed.options.shard && outcome.resources === 0) {
    io.err(`policyc apply: shard ${flags.shard} is empty (fewer resources than shards)\n`);
    return EXIT.ok;
  }
  if (outcome.sent === 0 && !flags.passWithNoEvaluations) {
    io.err(
      `policyc apply: nothing was evaluated: no policy applies to any of the ${outcome.resources} resources; check the policies' kinds, or pass --pass-with-no-evaluations\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}
