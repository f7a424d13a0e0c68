import { Command, CommanderError } from "commander";
import { applyCommand } from "./commands/apply.js";
import { buildCommand } from "./commands/build.js";
import { checkCommand } from "./commands/check.js";
import { initCommand } from "./commands/init.js";
import { testCommand } from "./commands/test.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { locateEngines, PACKAGE_ROOT } from "../engines/index.js";
import { applyConfig, InvalidConfigError } from "./config.js";
import { EXIT, type Io } from "./output.js";

/** The commands the project configuration applies to. */
const CONFIGURED = new Set(["build", "test", "verify", "apply"]);

/** A Debian package version's upstream part: `1:0.23.1-1` → 0.23.1, `1.4.2+ds1-3` → 1.4.2. */
const upstream = (v: string) =>
  v
    .replace(/^\d+:/, "")
    .replace(/-[^-]*$/, "")
    .replace(/\+ds\d*$/, "");

/**
 * `policyc --version`: policyc's own version, then the versions of the engines it runs, read from
 * the manifest the engine build wrote (the Debian packages their Go sources came from).
 */
export function versionText(): string {
  const own = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
  const lines = [`policyc ${own}`];
  try {
    const m = locateEngines().manifest as { goVersion?: string; versions?: Record<string, string> };
    const v = (pkg: string) => (m.versions?.[pkg] ? `${upstream(m.versions[pkg])} (Debian ${pkg} ${m.versions[pkg]})` : "unknown");
    lines.push(
      `OPA ${v("golang-github-open-policy-agent-opa-dev")}`,
      `cel-go ${v("golang-cel-cel-go-dev")}`,
      `Kubernetes libraries ${v("golang-k8s-apiserver-dev")}`,
      `built with ${m.goVersion ?? "an unknown Go"}`,
    );
  } catch (e) {
    lines.push(`engines: not set up (${e instanceof Error ? e.message : String(e)})`);
  }
  return lines.join("\n");
}

/**
 * Runs policyc with `argv` (without the node and script entries) and returns the exit code:
 * 0 ok, 1 failing cases or stale output, 2 bad input, 3 internal error.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const setExit = (c: number) => {
    code = c;
  };
  const program = new Command("policyc")
    .description("Typed Kubernetes admission policies, compiled to Kyverno, Kubernetes and Gatekeeper")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run policyc --help for usage)");
  program.version(versionText(), "-V, --version", "print policyc's version and its engines' versions");
  program.addCommand(buildCommand(io, setExit));
  program.addCommand(checkCommand(io, setExit));
  program.addCommand(testCommand(io, setExit, "test"));
  program.addCommand(testCommand(io, setExit, "verify"));
  program.addCommand(applyCommand(io, setExit));
  program.addCommand(initCommand(io, setExit));
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  // The configuration sets the flags the command line leaves out, once, before any command runs.
  program.hook("preAction", async (_program, command) => {
    if (CONFIGURED.has(command.name())) await applyConfig(command, io);
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof InvalidConfigError) return EXIT.invalid;
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return EXIT.ok;
      return EXIT.invalid;
    }
    io.err(`policyc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  }
  return code;
}
