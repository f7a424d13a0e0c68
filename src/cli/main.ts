import { Command, CommanderError } from "commander";
import { buildCommand } from "./commands/build.js";
import { checkCommand } from "./commands/check.js";
import { testCommand } from "./commands/test.js";
import { EXIT, type Io } from "./output.js";

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
  program.addCommand(buildCommand(io, setExit));
  program.addCommand(checkCommand(io, setExit));
  program.addCommand(testCommand(io, setExit, "test"));
  program.addCommand(testCommand(io, setExit, "verify"));
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return EXIT.ok;
      return EXIT.invalid;
    }
    io.err(`policyc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  }
  return code;
}
