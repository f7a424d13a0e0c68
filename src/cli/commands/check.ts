import { Command, Option } from "commander";
import { buildPolicies } from "../../build/index.js";
import { TARGET_NAMES } from "../../ir/index.js";
import { EXIT, LOAD_TIMEOUT_FLAG, reportIssues, secondsFlag, type Io, type IssueReporter } from "../output.js";

export function checkCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("check")
    .description("type-check and validate the policies; write nothing")
    .option("--policies <dir>", "directory of policy files", "policies")
    .addOption(new Option("--reporter <reporter>", "issue output").choices(["pretty", "json"]).default("pretty"))
    .option(...LOAD_TIMEOUT_FLAG)
    .action(async (flags: { policies: string; reporter: IssueReporter; loadTimeout: string }) => {
      let loadTimeoutMs: number;
      try {
        loadTimeoutMs = secondsFlag("--load-timeout", flags.loadTimeout);
      } catch (e) {
        io.err(`policyc check: ${(e as Error).message}\n`);
        return setExit(EXIT.invalid);
      }
      const r = await buildPolicies({
        loadTimeoutMs,
        cwd: io.cwd,
        policies: flags.policies,
        out: "generated",
        targets: TARGET_NAMES,
        typecheck: true,
        dryRun: true,
      });
      if (r.status !== "ok") {
        reportIssues(r.issues, flags.reporter, io);
        return setExit(r.status === "internal" ? EXIT.internal : EXIT.invalid);
      }
      if (flags.reporter === "json") io.out(JSON.stringify({ issues: [], policies: r.compiled.length }, null, 2) + "\n");
      else io.out(`policyc check: ${r.compiled.length} policies are valid\n`);
      return setExit(EXIT.ok);
    });
}
