/**
 * The project configuration on the command line: one table says which flag each configuration
 * field sets, for each command; `applyConfig` applies it once, before any command's action, as
 * commander's value source "config" (so a flag given on the command line or in the environment
 * keeps its value, and a flag the configuration sets still shows where it came from).
 */
import type { Command } from "commander";
import { loadConfig, type PolicycConfig } from "../harness/index.js";
import { reportIssues, type Io, type IssueReporter } from "./output.js";

type Field = (c: PolicycConfig) => unknown;

/** Command → [flag key, the configuration's value for it]. */
const TEST_FLAGS: readonly (readonly [string, Field])[] = [
  ["policies", (c) => c.policies],
  ["engine", (c) => c.engines?.join(",")],
  // policy-report is apply's alone.
  ["reporter", (c) => c.reporters?.filter((r) => !r.startsWith("policy-report"))],
];

const CONFIG_FLAGS: Readonly<Record<string, readonly (readonly [string, Field])[]>> = {
  build: [
    ["policies", (c) => c.policies],
    ["out", (c) => c.out],
    ["targets", (c) => c.targets?.join(",")],
    ["kyvernoFormat", (c) => c.kyvernoFormat],
    ["kyvernoExceptionNamespace", (c) => c.kyvernoExceptionNamespace],
  ],
  test: TEST_FLAGS,
  verify: TEST_FLAGS,
  apply: [
    ["policies", (c) => c.policies],
    ["policy", (c) => c.apply?.policy],
    ["mode", (c) => c.apply?.mode],
    ["namespaces", (c) => c.apply?.namespaces],
    ["cluster", (c) => c.apply?.cluster],
    ["clusterScoped", (c) => c.apply?.clusterScoped?.join(",")],
    ["failOn", (c) => c.apply?.failOn?.join(",")],
    ["namespace", (c) => c.apply?.namespace],
    ["includePolicy", (c) => c.apply?.includePolicy],
    ["excludePolicy", (c) => c.apply?.excludePolicy],
    ["ignore", (c) => c.apply?.ignore],
    ["engine", (c) => c.engines?.join(",")],
    ["reporter", (c) => c.reporters],
  ],
};

/** The configuration was not valid: its issues are reported; the command does not run. */
export class InvalidConfigError extends Error {}

/** What each command says it did not do when the configuration is not valid. */
const NOT_DONE: Readonly<Record<string, string>> = { build: "nothing was built", apply: "nothing was evaluated" };

const loaded = new WeakMap<Command, PolicycConfig>();

/** The configuration applied to a command (what flags do not carry: apply's inputs). */
export const configOf = (command: Command): PolicycConfig => loaded.get(command) ?? {};

/**
 * Loads the configuration of the working folder and sets, for the command about to run, every
 * flag the command line did not give from it. Runs once per command, before its action (a
 * preAction hook). Throws InvalidConfigError after reporting the issues when it is not valid.
 */
export async function applyConfig(command: Command, io: Io): Promise<PolicycConfig> {
  const cfg = await loadConfig(io.cwd);
  if (!cfg.ok) {
    const reporter = (command.opts() as { reporter?: unknown }).reporter === "json" ? "json" : "pretty";
    reportIssues(cfg.issues, reporter as IssueReporter, io);
    io.err(`policyc ${command.name()}: the configuration file is not valid; ${NOT_DONE[command.name()] ?? "no test ran"}\n`);
    throw new InvalidConfigError();
  }
  for (const [flag, value] of CONFIG_FLAGS[command.name()] ?? []) {
    const source = command.getOptionValueSource(flag);
    const v = value(cfg.config);
    if (v !== undefined && source !== "cli" && source !== "env") command.setOptionValueWithSource(flag, v, "config");
  }
  loaded.set(command, cfg.config);
  return cfg.config;
}
