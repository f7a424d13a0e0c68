/**
 * The operator table (src/sdk/refs.ts OPERATORS) is the SDK's one vocabulary of field operators:
 * every operator it defines builds IR the model knows, and every one is exercised by a golden
 * construct, whose cases run on all four engines (test/constructs.test.ts): an operator that
 * builds something a lowering or the reference engine cannot handle fails there.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exprSchema } from "../../src/ir/index.js";
import { OPERATORS } from "../../src/sdk/index.js";
import { ROOT } from "../support/helpers.js";

const GOLDEN = path.join(ROOT, "test", "golden");
/** The golden constructs with cases: those test/constructs.test.ts runs on every engine. */
const goldenSources = readdirSync(GOLDEN)
  .map((d) => readFileSync(path.join(GOLDEN, d, "policy.ts"), "utf8"))
  .filter((text) => /\btests:\s*\[/.test(text))
  .join("\n");

describe("the operator table", () => {
  it("builds only IR expression kinds the model defines", () => {
    const kinds = new Set<string>();
    const collect = (schema: unknown): void => {
      const def = (schema as { def?: { options?: unknown[]; shape?: { kind?: { value?: string } } } }).def;
      for (const o of def?.options ?? []) {
        const kind = (o as { def?: { shape?: { kind?: { def?: { values?: string[] } } } } }).def?.shape?.kind?.def?.values?.[0];
        if (kind) kinds.add(kind);
      }
    };
    collect(exprSchema);
    expect(kinds.size).toBeGreaterThan(8);
    for (const [name, spec] of Object.entries(OPERATORS)) for (const k of spec.ir) expect(kinds, `${name} builds ${k}`).toContain(k);
  });

  it.each(Object.keys(OPERATORS))("%s is exercised by a golden construct on every engine", (name) => {
    expect(goldenSources).toMatch(new RegExp(`\\.${name}\\(`));
  });
});
