import { Command, Option } from "commander";
import type { KyvernoFormat } from "../../backends/index.js";
import { buildPolicies, type BuildOptions } from "../../build/index.js";
import { TARGET_NAMES, type TargetName } from "../../ir/index.js";
import { formatIssue } from "../../ir/index.js";
import { EXIT, LOAD_TIMEOUT_FLAG, reportIssues, secondsFlag, type Io, type IssueReporter } from "../output.js";

export interface BuildFlags {
  policies: string;
  out: string;
  targets: string;
  kyvernoFormat: string;
  kyvernoExceptionNamespace?: string;
  check?: boolean;
  typecheck?: boolean;
  allowEmpty?: boolean;
  strict?: boolean;
  loadTimeout: string;
  reporter: IssueReporter;
}

export function parseTargets(s: string): TargetName[] {
  const list = s
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of list)
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target "${t}" (expected ${TARGET_NAMES.join(", ")})`);
  if (list.length === 0) throw new Error(`--targets needs at least one of ${TARGET_NAMES.join(", ")}`);
  return list as TargetName[];
}

function parseKyvernoFormat(s: string): KyvernoFormat[] {
  if (s === "validating-policy") return ["validating-policy"];
  if (s === "legacy") return ["legacy"];
  if (s === "both") return ["validating-policy", "legacy"];
  throw new Error(`unknown --kyverno-format "${s}" (expected validating-policy, legacy or both)`);
}

export function buildCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("build")
    .description("compile policies to Kyverno, Kubernetes and Gatekeeper YAML")
    .option("--policies <dir>", "directory of policy files", "policies")
    .option("--out <dir>", "output directory (owned by policyc)", "generated")
    .option("--targets <list>", "comma-separated targets: kyverno,kubernetes,gatekeeper", TARGET_NAMES.join(","))
    .option(
      "--kyverno-format <format>",
      "validating-policy (default), legacy (kyverno.io/v1 ClusterPolicy with validate.cel, into kyverno-legacy/) or both",
      "validating-policy",
    )
    .option("--kyverno-exception-namespace <ns>", "the namespace Kyverno reads PolicyExceptions from (its --exceptionNamespace)")
    .option("--check", "exit 1 and list the files that differ if the output directory is out of date; write nothing")
    .option("--typecheck", "type-check the policy files first")
    .option("--strict", "an exception past its expires date is an error, not a warning")
    .option(...LOAD_TIMEOUT_FLAG)
    .option("--allow-empty", "build even when the policies directory holds no policy file (empties the output directory)")
    .addOption(new Option("--reporter <reporter>", "issue output").choices(["pretty", "json"]).default("pretty"))
    .action(async (flags: BuildFlags) => setExit(await buildAction(io, flags)));
}

/** The build's options from its flags, checked. */
function parseBuildFlags(flags: BuildFlags, io: Io): BuildOptions {
  const ns = flags.kyvernoExceptionNamespace;
  if (ns !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63))
    throw new Error(`--kyverno-exception-namespace must be a namespace name (a DNS-1123 label), got "${ns}"`);
  return {
    cwd: io.cwd,
    policies: flags.policies,
    out: flags.out,
    loadTimeoutMs: secondsFlag("--load-timeout", flags.loadTimeout),
    targets: parseTargets(flags.targets),
    kyvernoFormats: parseKyvernoFormat(flags.kyvernoFormat),
    ...(ns ? { kyvernoExceptionNamespace: ns } : {}),
    ...(flags.check ? { check: true } : {}),
    ...(flags.typecheck ? { typecheck: true } : {}),
    ...(flags.allowEmpty ? { allowEmpty: true } : {}),
    ...(flags.strict ? { strict: true } : {}),
  };
}

async function buildAction(io: Io, flags: BuildFlags): Promise<number> {
  let options: BuildOptions;
  try {
    options = parseBuildFlags(flags, io);
  } catch (e) {
    io.err(`policyc build: ${(e as Error).message}\n`);
    return EXIT.invalid;
  }
  const r = await buildPolicies(options);
  const json = flags.reporter === "json";
  // Warnings (an expired exception) go to stderr whatever the outcome; JSON output carries them too.
  if (!json) for (const w of r.warnings ?? []) io.err(formatIssue(w) + "\n");
  if (r.status === "invalid" || r.status === "internal") {
    reportIssues(r.issues, flags.reporter, io);
    io.err(
      `policyc build: ${r.issues.length} problem${r.issues.length === 1 ? "" : "s"}; ${flags.out.replace(/\/+$/, "")}/ was not changed\n`,
    );
    return r.status === "invalid" ? EXIT.invalid : EXIT.internal;
  }
  if (r.status === "drift" && r.drift) {
    const lines = [
      ...r.drift.stale.map((f) => `  stale:   ${flags.out}/${f}`),
      ...r.drift.missing.map((f) => `  missing: ${flags.out}/${f}`),
      ...r.drift.extra.map((f) => `  extra:   ${flags.out}/${f}`),
    ];
    if (json) io.out(JSON.stringify({ upToDate: false, ...r.drift }, null, 2) + "\n");
    else io.err(`policyc build --check: ${flags.out}/ is out of date; run policyc build\n${lines.join("\n")}\n`);
    return EXIT.failed;
  }
  const verb = flags.check ? "is up to date" : r.changed ? "written" : "already up to date";
  if (json) {
    const body = {
      upToDate: true,
      policies: r.compiled.length,
      files: [...r.files.keys()],
      ...(r.warnings?.length ? { warnings: r.warnings } : {}),
    };
    io.out(JSON.stringify(body, null, 2) + "\n");
  } else {
    const mutations = r.mutations?.length ? `${r.mutations.length} mutations, ` : "";
    io.out(`policyc build: ${r.compiled.length} policies, ${mutations}${r.files.size} files, ${flags.out}/ ${verb}\n`);
  }
  return EXIT.ok;
}
