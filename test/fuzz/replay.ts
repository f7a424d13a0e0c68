// Replays fuzz-counterexample.json (what `npm run fuzz` wrote on a disagreement) on every engine:
// `node --import ./test/fuzz/register.mjs test/fuzz/replay.ts [file]`.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { discoverRegoCompiler } from "../../src/engines/opa/index.js";
import { check } from "./differential.js";
import type { FuzzCase } from "./generate.js";

const file = process.argv[2] ?? "fuzz-counterexample.json";
const c = JSON.parse(readFileSync(file, "utf8")) as FuzzCase;
const r = await check(c, {
  compiler: await discoverRegoCompiler(),
  cacheDir: path.join(process.env.POLICYC_CACHE_DIR ?? path.join(os.homedir(), ".cache", "policyc"), "fuzz-wasm"),
  runtime: await CelRuntime.get(),
});
process.stdout.write(r ? `disagreement: ${JSON.stringify(r.verdicts)}\n` : "engines agree\n");
process.exitCode = r ? 1 : 0;
