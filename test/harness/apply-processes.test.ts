/**
 * A large `policyc apply` evaluates half its resources in a second process
 * (src/harness/apply-processes.ts); what it reports must be exactly what one process reports:
 * every row in the same order (mutations, validations, invalid inputs, every engine), the same
 * summary, notes and counts; and a signal still reports the rows decided, marked incomplete.
 * A short run mutates on a second thread while the first compiles the validations: the same again.
 */
import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeManifests } from "../../bench/manifests.js";
import { runApply, type ApplyOptions, type ApplyOutcome, type ResultRow } from "../../src/harness/index.js";
import { ROOT, tempDir, withEnv } from "../support/helpers.js";

/** A run split between two processes (forced: the input is below the size that splits by itself), or in one. */
async function run(o: ApplyOptions, processes: 1 | 2): Promise<ApplyOutcome> {
  return withEnv("POLICYC_PROCESSES", String(processes), () => runApply(o));
}

/** Rows without their measured times, which differ run to run. */
const untimed = (rows: readonly ResultRow[]) => rows.map(({ durationMs: _ms, ...r }) => r);

describe("apply on two processes", () => {
  // A mixed input: generated workloads, Services, RBAC, Namespaces, autoscalers and CRDs; the
  // apply fixtures (a JSON List, a CRD and its resource); a document that is not an object.
  const cwd = tempDir("policyc-apply-processes-");
  writeManifests(path.join(cwd, "manifests", "generated"), 60);
  cpSync(path.join(ROOT, "test", "apply", "manifests"), path.join(cwd, "manifests", "fixtures"), { recursive: true });
  writeFileSync(path.join(cwd, "manifests", "Chart.yaml"), "name: shop\nversion: 1.0.0\n");
  const options: ApplyOptions = {
    cwd,
    inputs: ["manifests"],
    policies: path.join(ROOT, "policies"),
    policyPaths: [path.join(ROOT, "test", "apply", "policies")],
  };

  it("reports what one process reports, row for row, on every engine", async () => {
    const two = await run(options, 2);
    const one = await run(options, 1);
    if (two.status !== "ran" || one.status !== "ran") throw new Error(`${two.status} / ${one.status}`);
    expect(untimed(two.report.results)).toEqual(untimed(one.report.results));
    const { durationMs: _a, ...twoSummary } = two.report.summary;
    const { durationMs: _b, ...oneSummary } = one.report.summary;
    expect(twoSummary).toEqual(oneSummary);
    expect(two.report.notes).toEqual(one.report.notes);
    expect(two.report.policies).toEqual(one.report.policies);
    expect([two.resources, two.sent]).toEqual([one.resources, one.sent]);
    // What the comparison covers: mutations, failures, an invalid input, every engine, both halves.
    const rows = one.report.results;
    expect(rows.some((r) => r.expected === "mutation" && r.actual === "mutated")).toBe(true);
    expect(rows.some((r) => r.status === "fail")).toBe(true);
    expect(rows[0]?.policy).toBe("policyc:invalid-input");
    expect(new Set(rows.map((r) => r.engine))).toEqual(new Set(["gatekeeper", "kubernetes", "kyverno", "reference"]));
    expect(one.resources).toBeGreaterThan(60);
  });

  it("a short run's mutations on the second thread: the rows and mutated objects one thread gives", async () => {
    // Forced onto one process; the mutations then go to the second thread (the default under 2,000 resources) or not.
    const threaded = await run(options, 1);
    const single = await withEnv("POLICYC_THREADS", "1", () => run(options, 1));
    if (threaded.status !== "ran" || single.status !== "ran") throw new Error(`${threaded.status} / ${single.status}`);
    expect(untimed(threaded.report.results)).toEqual(untimed(single.report.results));
    expect(threaded.mutated?.map((r) => r.object)).toEqual(single.mutated?.map((r) => r.object));
    expect(single.mutated?.filter((r, i) => r.object !== threaded.mutated?.[i]?.object).length).toBeGreaterThan(0);
    expect(single.report.results.filter((r) => r.actual === "mutated").length).toBeGreaterThan(10);
  });

  it("a signal stops both processes; the rows decided are reported, marked incomplete", async () => {
    const stop = new AbortController();
    const stopped = await run({ ...options, signal: stop.signal, onProgress: (done) => done >= 8 && stop.abort() }, 2);
    if (stopped.status !== "ran") throw new Error(stopped.status);
    expect(stopped.report.summary.incomplete).toMatch(/^stopped by a signal after \d+ of \d+ resources; the rows decided are reported$/);
    const decided = Number(/after (\d+) of/.exec(stopped.report.summary.incomplete!)![1]);
    expect(decided).toBeGreaterThanOrEqual(8);
    expect(decided).toBeLessThan(stopped.resources);
  });
});
