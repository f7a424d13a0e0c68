import { Command, Option } from "commander";
import type { KyvernoFormat } from "../../backends/index.js";
import { buildPolicies } from "../../build/index.js";
import { TARGET_NAMES, type TargetName } from "../../ir/index.js";
import { loadConfig } from "../../harness/index.js";
import { formatIssue } from "../../ir/index.js";
import { EXIT, fromCli, LOAD_TIMEOUT_FLAG, reportIssues, secondsFlag, type Io, type IssueReporter } from "../output.js";

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
    .action(async (flags: BuildFlags, command: Command) => {
      const cfg = await loadConfig(io.cwd);
      if (!cfg.ok) {
        reportIssues(cfg.issues, flags.reporter, io);
        io.err("policyc build: the configuration file is not valid; nothing was built\n");
        return setExit(EXIT.invalid);
      }
      const c = cfg.config;
      if (!fromCli(command, "policies") && c.policies) flags.policies = c.policies;
      if (!fromCli(command, "out") && c.out) flags.out = c.out;
      if (!fromCli(command, "targets") && c.targets) flags.targets = c.targets.join(",");
      if (!fromCli(command, "kyvernoFormat") && c.kyvernoFormat) flags.kyvernoFormat = c.kyvernoFormat;
      if (!fromCli(command, "kyvernoExceptionNamespace") && c.kyvernoExceptionNamespace)
        flags.kyvernoExceptionNamespace = c.kyvernoExceptionNamespace;
      let targets: TargetName[];
      let formats: KyvernoFormat[];
      let loadTimeoutMs: number;
      try {
        loadTimeoutMs = secondsFlag("--load-timeout", flags.loadTimeout);
        targets = parseTargets(flags.targets);
        formats = parseKyvernoFormat(flags.kyvernoFormat);
        const ns = flags.kyvernoExceptionNamespace;
        if (ns !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63))
          throw new Error(`--kyverno-exception-namespace must be a namespace name (a DNS-1123 label), got "${ns}"`);
      } catch (e) {
        io.err(`policyc build: ${(e as Error).message}\n`);
        return setExit(EXIT.invalid);
      }
      const r = await buildPolicies({
        cwd: io.cwd,
        policies: flags.policies,
        out: flags.out,
        targets,
        kyvernoFormats: formats,
        ...(flags.kyvernoExceptionNamespace ? { kyvernoExceptionNamespace: flags.kyvernoExceptionNamespace } : {}),
        ...(flags.check ? { check: true } : {}),
        ...(flags.typecheck ? { typecheck: true } : {}),
        ...(flags.allowEmpty ? { allowEmpty: true } : {}),
        ...(flags.strict ? { strict: true } : {}),
        loadTimeoutMs,
      });
      // Warnings (an expired exception) go to stderr whatever the outcome; JSON output carries them too.
      if (flags.reporter !== "json") for (const w of r.warnings ?? []) io.err(formatIssue(w) + "\n");
      if (r.status === "invalid" || r.status === "internal") {
        reportIssues(r.issues, flags.reporter, io);
        io.err(
          `policyc build: ${r.issues.length} problem${r.issues.length === 1 ? "" : "s"}; ${flags.out.replace(/\/+$/, "")}/ was not changed\n`,
        );
        return setExit(r.status === "invalid" ? EXIT.invalid : EXIT.internal);
      }
      if (r.status === "drift" && r.drift) {
        const lines = [
          ...r.drift.stale.map((f) => `  stale:   ${flags.out}/${f}`),
          ...r.drift.missing.map((f) => `  missing: ${flags.out}/${f}`),
          ...r.drift.extra.map((f) => `  extra:   ${flags.out}/${f}`),
        ];
        if (flags.reporter === "json") io.out(JSON.stringify({ upToDate: false, ...r.drift }, null, 2) + "\n");
        else io.err(`policyc build --check: ${flags.out}/ is out of date; run policyc build\n${lines.join("\n")}\n`);
        return setExit(EXIT.failed);
      }
      const verb = flags.check ? "is up to date" : r.changed ? "written" : "already up to date";
      if (flags.reporter === "json")
        io.out(
          JSON.stringify(
            {
              upToDate: true,
              policies: r.compiled.length,
              files: [...r.files.keys()],
              ...(r.warnings?.length ? { warnings: r.warnings } : {}),
            },
            null,
            2,
          ) + "\n",
        );
      else io.out(`policyc build: ${r.compiled.length} policies, ${r.files.size} files, ${flags.out}/ ${verb}\n`);
      return setExit(EXIT.ok);
    });
}
