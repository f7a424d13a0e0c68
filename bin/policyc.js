#!/usr/bin/env node
// Commands that import policy files start the loader thread first: it loads policyc's SDK
// while this thread loads the CLI.
if (["build", "test", "verify", "check", "apply"].includes(process.argv[2] ?? ""))
  (await import("../dist/load/loader-thread.js")).loaderThread();
const { runCli } = await import("../dist/cli/index.js");
const { readFileSync } = await import("node:fs");

const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  cwd: process.cwd(),
  isTTY: Boolean(process.stderr.isTTY),
  outIsTTY: Boolean(process.stdout.isTTY),
  ci: Boolean(process.env.CI) && process.env.CI !== "false",
  stdin: () => (process.stdin.isTTY ? "" : readFileSync(0, "utf8")),
});
process.exitCode = code;
