/**
 * Every construct of the SDK on every engine: each golden folder's policy carries behavioural
 * cases (allow, deny with its message, skip), and they must pass on the reference evaluator, the
 * Rego on OPA Wasm and both CEL outputs, with no disagreement.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTests } from "../../src/harness/index.js";
import { ROOT } from "../support/helpers.js";

const GOLDEN = path.join(ROOT, "test", "golden");
const withCases = readdirSync(GOLDEN)
  .sort()
  .filter((d) => /\btests:\s*\[/.test(readFileSync(path.join(GOLDEN, d, "policy.ts"), "utf8")));

describe.each(withCases)("construct %s", (name) => {
  it("passes its cases on all four engines with no disagreement", async () => {
    const outcome = await runTests({
      cwd: ROOT,
      paths: [`test/golden/${name}`],
      policies: "policies",
      engines: ["kyverno", "kubernetes", "gatekeeper", "reference"],
    });
    if (outcome.status !== "ran") throw new Error(JSON.stringify(outcome.errors));
    const { summary, results } = outcome.report;
    // A construct a target cannot carry is opted out of it (skip: { kubernetes: "…" }): lookups.
    const optedOut = new Set(results.filter((r) => r.cause?.kind === "opted_out").map((r) => r.engine));
    expect([...optedOut], "only the VAP is opted out, and only by a policy that reads the cluster").toEqual(
      name === "lookups" ? ["kubernetes"] : [],
    );
    expect(
      results
        .filter((r) => r.status !== "pass" && r.cause?.kind !== "opted_out")
        .map((r) => `${r.case} ${r.engine}: ${r.cause ? JSON.stringify(r.cause) : r.status}`),
    ).toEqual([]);
    expect(summary.disagreements).toBe(0);
    expect(summary.cases).toBeGreaterThanOrEqual(2);
    expect(new Set(results.map((r) => r.engine))).toEqual(new Set(["kyverno", "kubernetes", "gatekeeper", "reference"]));
  });
});

it("covers the constructs", () =>
  expect(withCases).toEqual(
    expect.arrayContaining([
      "admission",
      "deny",
      "images",
      "lookups",
      "messages",
      "namespace-labels",
      "params-everywhere",
      "selectors",
      "strings",
    ]),
  ));
