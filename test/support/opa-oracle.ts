import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { locateEngines } from "../../src/engines/wasm/index.js";
import { tempDir } from "./helpers.js";

/**
 * OPA's own interpreter (rego.New(...).Eval, non-strict builtin errors as in Gatekeeper) through
 * the native policyc-opa helper that setup:engines builds from the same Debian sources.
 */
export function opaInterpreter(
  modules: { path: string; source: string }[],
  queries: string[],
  input?: unknown,
): { values: unknown[]; error?: string }[] {
  const bin = locateEngines().file("policyc-opa");
  if (!bin) throw new Error("the native policyc-opa helper is missing: run npm run setup:engines");
  const file = path.join(tempDir("policyc-oracle-"), "request.json");
  writeFileSync(
    file,
    JSON.stringify({
      modules,
      regoVersion: 1,
      evaluations: queries.map((query) => ({ query, ...(input !== undefined ? { input } : {}) })),
    }),
  );
  const out = JSON.parse(execFileSync(bin, ["eval", file], { maxBuffer: 64 << 20 }).toString()) as {
    results: { values: unknown[]; error?: string }[];
  };
  return out.results;
}
