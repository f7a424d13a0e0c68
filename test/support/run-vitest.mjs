// Runs the test suite. Known open bug: a test process running the Go-built Wasm engines
// sometimes dies with SIGSEGV/SIGTRAP inside V8 (vitest: "Worker exited unexpectedly"); no test
// fails when that happens. Such a run is repeated (at most three attempts), saying so; any test failure is not.
import { spawnSync } from "node:child_process";

const run = () => spawnSync("npx", ["vitest", "run", ...process.argv.slice(2)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
let r = run();
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
const crashedOnly = (x) => x.status !== 0 && /Worker exited unexpectedly/.test(x.stdout + x.stderr) && !/\bTests\s.*\d+ failed/.test(x.stdout.replace(/\x1b\[[0-9;]*m/g, ""));
for (let attempt = 2; attempt <= 3 && crashedOnly(r); attempt++) {
  process.stderr.write(`\nrun-vitest: a test process crashed inside V8 (known open bug, no test failed); attempt ${attempt} of 3\n\n`);
  r = run();
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
}
process.exit(r.status ?? 1);
