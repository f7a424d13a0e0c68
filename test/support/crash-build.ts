/**
 * `node --import test/fuzz/register.mjs test/support/crash-build.ts STEP [POLICIES OUT]`: builds
 * and kills its own process (SIGKILL, as `kill -9`) right after STEP of the output swap, or runs
 * to the end with STEP "none". The crash tests run it as a child process.
 */
import { buildPolicies } from "../../src/build/index.js";
import { TARGET_NAMES } from "../../src/ir/index.js";

const [step, policies = "policies", out = "generated"] = process.argv.slice(2);
const r = await buildPolicies({
  cwd: process.cwd(),
  policies,
  out,
  targets: TARGET_NAMES,
  write: {
    after: (s) => {
      if (s === step) process.kill(process.pid, "SIGKILL");
    },
  },
});
process.stdout.write(`${r.status}\n`);
