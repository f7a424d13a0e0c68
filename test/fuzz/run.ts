/**
 * `npm run fuzz -- --runs N --seed S [--mutations M]`: differential fuzzing of random policies and
 * fixtures on every engine, then of M (default N) random mutations and objects (mutations.ts). Prints the first disagreement, shrunk by fast-check to a small counterexample
 * (policy, fixture, every engine's verdict), and exits 1; exits 0 when all runs agree.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { discoverRegoCompiler } from "../../src/engines/opa/compiler.js";
import { check, warm, type Disagreement, type FuzzContext } from "./differential.js";
import { fuzzCase } from "./generate.js";
import { fuzzMutations } from "./mutations.js";

export async function fuzz(
  runs: number,
  seed: number,
  log: (s: string) => void = () => {},
): Promise<{ runs: number; seed: number; failure?: Disagreement; counterexample?: unknown; ms: number }> {
  const started = Date.now();
  const ctx: FuzzContext = {
    compiler: await discoverRegoCompiler(),
    cacheDir: path.join(process.env.POLICYC_CACHE_DIR ?? path.join(os.homedir(), ".cache", "policyc"), "fuzz-wasm"),
    runtime: await CelRuntime.get(),
    verdicts: {},
  };
  // fc.sample and fc.check draw the same values for the same seed: compile the batch's Rego in
  // a few compiler runs first, so the property only loads cached modules.
  const batch = fc.sample(fuzzCase, { numRuns: runs, seed });
  log(`compiling ${batch.length} policies' Rego…`);
  await warm(batch, ctx);
  log(`checking ${runs} cases (seed ${seed})…`);
  let failure: Disagreement | undefined;
  let done = 0;
  const result = await fc.check(
    fc.asyncProperty(fuzzCase, async (c) => {
      const d = await check(c, ctx);
      if (++done % 500 === 0) log(`${done} cases checked (${Math.round((Date.now() - started) / 1000)} s)`);
      if (d) failure = d;
      return d === undefined;
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  if (result.failed && result.counterexample) failure = (await check(result.counterexample[0], ctx)) ?? failure;
  log(
    `agreed verdicts (request × instance): ${Object.entries(ctx.verdicts!)
      .sort()
      .map(([v, n]) => `${v} ${n}`)
      .join(", ")}`,
  );
  return {
    runs: result.numRuns,
    seed,
    ...(result.failed && failure ? { failure, counterexample: result.counterexample?.[0] } : {}),
    ms: Date.now() - started,
  };
}

const isMain = import.meta.url === new URL(process.argv[1]!, "file://").href || process.argv[1]?.endsWith("test/fuzz/run.ts");
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    const v = i >= 0 ? Number(args[i + 1]) : fallback;
    if (!Number.isInteger(v) || v < 0) {
      process.stderr.write(`fuzz: --${name} needs a whole number\n`);
      process.exit(2);
    }
    return v;
  };
  const runs = opt("runs", 200);
  const seed = opt("seed", Date.now() % 2 ** 31);
  const r = await fuzz(runs, seed, (s) => process.stderr.write(`fuzz: ${s}\n`));
  if (r.failure) {
    writeFileSync("fuzz-counterexample.json", JSON.stringify(r.counterexample, null, 2) + "\n");
    process.stdout.write(`fuzz: (the case is in fuzz-counterexample.json)\n`);
    process.stdout.write(
      `fuzz: DISAGREEMENT after ${r.runs} runs (seed ${r.seed}); shrunk counterexample:\n\npolicy:\n${r.failure.policy}\n\nrequest:\n${JSON.stringify(r.failure.request, null, 2)}\n\nverdicts:\n${Object.entries(
        r.failure.verdicts,
      )
        .map(([e, v]) => `  ${e}: ${v}`)
        .join("\n")}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`fuzz: ${r.runs} cases, 0 disagreements (seed ${r.seed}, ${(r.ms / 1000).toFixed(1)} s)\n`);
  // Mutations: as many random mutations (each on up to four objects), the same seed.
  const mutationRuns = opt("mutations", runs);
  const m = await fuzzMutations(mutationRuns, seed, await CelRuntime.get(), (s) => process.stderr.write(`fuzz: ${s}\n`));
  process.stderr.write(
    `fuzz: mutation results: ${Object.entries(m.counts)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}\n`,
  );
  if (m.failure) {
    writeFileSync("fuzz-counterexample.json", JSON.stringify({ mutation: m.failure.mutation, object: m.failure.object }, null, 2) + "\n");
    process.stdout.write(
      `fuzz: MUTATION DISAGREEMENT after ${m.runs} runs (seed ${m.seed}); shrunk counterexample (in fuzz-counterexample.json):\n\n${m.failure.diff}\n\nresults:\n${JSON.stringify(m.failure.answers, null, 2)}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(
    `fuzz: ${m.runs} mutation cases, 0 disagreements between the four results (seed ${m.seed}, ${(m.ms / 1000).toFixed(1)} s)\n`,
  );
}
