/**
 * A large `policyc test` run splits its policies between two threads (src/harness/case-thread.ts);
 * what it reports must be exactly what one thread reports: the same rows in the same order, the
 * same failures and exit code, the same located errors.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeRepo } from "../../bench/repo.js";
import { clearFixtureCache, runTests, type TestOutcome } from "../../src/harness/index.js";
import type { ResultRow } from "../../src/harness/index.js";
import { tempDir, withEnv } from "../support/helpers.js";

const ENGINES = ["gatekeeper", "kubernetes", "kyverno", "reference"] as const;

/** A run on two threads (forced: the repository is below the size that splits by itself), or on one. */
async function run(cwd: string, singleThread: boolean): Promise<TestOutcome> {
  return withEnv("POLICYC_THREADS", singleThread ? "1" : "2", () => runTests({ cwd, paths: [], policies: "policies", engines: ENGINES }));
}

/** Rows without their measured times, which differ run to run. */
const untimed = (rows: readonly ResultRow[]) => rows.map(({ durationMs: _ms, ...r }) => r);

describe("a run on two threads", () => {
  // 24 policy files, 5 cases each: enough cases to split (case-thread.ts SPLIT_FROM).
  const root = tempDir("policyc-threads-");
  const { dir } = writeRepo(root, 24, 5);
  const cwd = path.dirname(dir);
  // A case that fails in the first half, and one in the second.
  for (const i of [1, 22]) {
    const file = path.join(dir, `policy-${i}.ts`);
    writeFileSync(file, readFileSync(file, "utf8").replace('expect: "deny"', 'expect: "allow"'));
  }

  it("reports what one thread reports, row for row", async () => {
    const two = await run(cwd, false);
    const one = await run(cwd, true);
    if (two.status !== "ran" || one.status !== "ran") throw new Error(`${two.status} / ${one.status}`);
    expect(two.report.notes.some((n) => /two threads: \d+ here, \d+ on the second/.test(n))).toBe(true);
    expect(one.report.notes.some((n) => /two threads/.test(n))).toBe(false);
    // Without POLICYC_THREADS a repository this size stays on one thread.
    const auto = await runTests({ cwd, paths: [], policies: "policies", engines: ENGINES });
    if (auto.status !== "ran") throw new Error(auto.status);
    expect(auto.report.notes.some((n) => /two threads/.test(n))).toBe(false);
    expect(untimed(auto.report.results)).toEqual(untimed(one.report.results));
    const { durationMs: _a, ...twoSummary } = two.report.summary;
    const { durationMs: _b, ...oneSummary } = one.report.summary;
    expect(twoSummary).toEqual(oneSummary);
    expect(twoSummary).toMatchObject({ policies: 24, cases: 120, failed: 8 });
    expect(untimed(two.report.results)).toEqual(untimed(one.report.results));
    const failing = new Set(two.report.results.filter((r) => r.status === "fail").map((r) => r.policy));
    expect([...failing].sort()).toEqual(["bench-registries-1", "bench-registries-22"]);
  });

  it("a bad fixture in the second thread's half is a located error, as on one thread", async () => {
    const broken = path.join(dir, "fixtures", "p23-f0.yaml");
    const before = readFileSync(broken, "utf8");
    writeFileSync(broken, "kind: Pod\nmetadata: [\n");
    // Fixtures are read once per process; this test rewrites one.
    clearFixtureCache();
    try {
      const two = await run(cwd, false);
      const one = await run(cwd, true);
      expect(two.status).toBe("invalid");
      expect(two).toEqual(one);
      if (two.status === "invalid") expect(two.errors[0]?.message).toMatch(/p23-f0\.yaml:\d+:\d+: invalid YAML/);
    } finally {
      writeFileSync(broken, before);
      clearFixtureCache();
    }
  });
});
