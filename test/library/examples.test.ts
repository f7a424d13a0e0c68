/**
 * The example repositories under examples/ build as their CI builds them: generated/ committed and
 * current (`policyc build --check`), every policy type-checked, and every case passing on every
 * engine. Their own vitest tests run in the "examples" project of this repository's vitest.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT } from "../support/helpers.js";

const EXAMPLES = readdirSync(path.join(ROOT, "examples")).map((e) => path.join(ROOT, "examples", e));

describe.each(EXAMPLES)("%s", (dir) => {
  it("policyc build --check: generated/ is committed and current", async () => {
    const r = await cli(["build", "--check"], dir);
    expect(r.code, r.err).toBe(0);
  });

  it("policyc check: every policy type-checks", async () => {
    const r = await cli(["check"], dir);
    expect(r.code, r.err + r.out).toBe(0);
  }, 120_000);

  it("policyc test: every case passes on every engine", async () => {
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code, r.err).toBe(0);
    const summary = (JSON.parse(r.out) as { summary: Record<string, number> }).summary;
    expect(summary.cases).toBeGreaterThan(10);
    expect(summary).toMatchObject({ failed: 0, errors: 0, disagreements: 0 });
  });
});
