#!/usr/bin/env node
// Commands that import policy files start the loader thread first: it loads policyc's SDK
// while this thread loads the CLI.
if (["build", "test", "verify", "check", "apply"].includes(process.argv[2] ?? ""))
  (await import("../dist/load/loader-thread.js")).loaderThread();
const { runProcess } = await import("../dist/cli/index.js");
await runProcess();
