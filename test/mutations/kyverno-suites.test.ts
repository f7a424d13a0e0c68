import { describe, expect, it } from "vitest";
import { cli, copyWithEdits } from "../support/helpers.js";

describe("Kyverno CLI test folders with mutating policies run as the CLI runs them", () => {
  it("MutatingPolicy and MutatingAdmissionPolicy rows with patchedResources pass", async () => {
    const r = await cli(["test", "test/kyverno/mutating", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { summary: { passed: number; failed: number }; results: { engine: string; policy: string }[] };
    expect(report.summary).toMatchObject({ passed: 4, failed: 0 });
    expect(report.results.map((x) => `${x.policy}:${x.engine}`)).toEqual([
      "add-team-label:kyverno",
      "add-team-label:kyverno",
      "add-team-label:kyverno",
      "set-pull-policy:kubernetes",
    ]);
  }, 60_000);

  it("empty maps and lists, and nulls, do not count (the CLI compares tidied objects): a typed round trip's `strategy: {}` still passes", async () => {
    const dir = copyWithEdits("test/kyverno/mutating", {
      "patched.yaml": (t) => t.replace(/^spec:\n/m, "spec:\n  strategy: {}\n  emptyList: []\n  gone: null\n"),
    });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code, r.out).toBe(0);
  }, 60_000);

  it("a patched resource that differs fails the row, with the field that differs", async () => {
    const dir = copyWithEdits("test/kyverno/mutating", { "patched.yaml": (t) => t.replace("team: platform", "team: payments") });
    const r = await cli(["test", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('~ metadata.labels.team: "payments" → "platform"');
  }, 60_000);

  it("a row expecting fail passes when the patched resource differs, as in the CLI", async () => {
    const dir = copyWithEdits("test/kyverno/mutating", {
      "patched-pull.yaml": (t) => t.replace("Always", "Never"),
      "kyverno-test.yaml": (t) =>
        t.replace("patchedResources: patched-pull.yaml\n    result: pass", "patchedResources: patched-pull.yaml\n    result: fail"),
    });
    const r = await cli(["test", dir]);
    expect(r.code, r.out).toBe(0);
  }, 60_000);
});
