/**
 * `npm run bench:cel`: how readable the generated CEL is, in numbers a reviewer feels in a GitOps
 * pull request: the longest CEL expression line, and the bytes of the generated YAML, for the
 * starter policies (`policies/`) and for 300 fuzzed policies (fixed seed).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { buildPolicies } from "../src/build/index.js";
import { emitYaml, outputPath } from "../src/emit/index.js";
import { TARGET_NAMES } from "../src/ir/index.js";
import { compileCase } from "../test/fuzz/differential.js";
import { policy as fuzzPolicy } from "../test/fuzz/generate.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The longest line of any CEL expression in a YAML text (expression, messageExpression). */
function longestCelLine(files: ReadonlyMap<string, string>): number {
  let longest = 0;
  for (const [file, text] of files) {
    if (file.startsWith("gatekeeper/")) continue;
    for (const line of text.split("\n")) {
      const m = /^\s*(?:- )?(expression|messageExpression): (.*)$/.exec(line);
      if (m) longest = Math.max(longest, m[2]!.length);
    }
  }
  return longest;
}

const bytes = (files: ReadonlyMap<string, string>) => [...files.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);

const starter = await buildPolicies({ cwd: ROOT, policies: "policies", out: "generated", targets: TARGET_NAMES, dryRun: true });
const fuzzed = new Map<string, string>();
fc.sample(fuzzPolicy, { numRuns: 300, seed: 424242 }).forEach((p, i) => {
  for (const out of compileCase(p).outputs) fuzzed.set(`${i}/${outputPath(out)}`, emitYaml(out, "fuzz.ts"));
});
const result = {
  starter: { files: starter.files.size, bytes: bytes(starter.files), longestCelLine: longestCelLine(starter.files) },
  fuzzed300: {
    files: fuzzed.size,
    bytes: bytes(fuzzed),
    longestCelLine: longestCelLine(new Map([...fuzzed].map(([f, t]) => [f.replace(/^\d+\//, ""), t]))),
  },
};
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
