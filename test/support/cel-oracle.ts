import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { CelResponse } from "../../src/engines/cel/index.js";
import { locateEngines } from "../../src/engines/wasm/index.js";
import { tempDir } from "./helpers.js";

/** The same Go code as the in-process CEL engine, built natively: answers a list of requests. */
export function nativeCel(requests: object[]): CelResponse[] {
  const bin = locateEngines().file("policyc-cel");
  if (!bin) throw new Error("the native policyc-cel helper is missing: run npm run setup:engines");
  const file = path.join(tempDir("policyc-cel-"), "requests.json");
  writeFileSync(file, JSON.stringify(requests));
  return JSON.parse(execFileSync(bin, [file], { maxBuffer: 64 << 20 }).toString()) as CelResponse[];
}
