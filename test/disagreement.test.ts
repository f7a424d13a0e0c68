/** The cross-engine check: a case fails with its own label when engines disagree, even if one matches. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CompiledPolicy } from "../src/build/index.js";
import { collectCases, referenceEngine, type PolicyEngine } from "../src/harness/index.js";
import { runPolicycCase } from "../src/harness/policyc-cases.js";
import { buildDir, ROOT } from "./support/helpers.js";

describe("engines disagree", () => {
  it("labels the case with every engine's verdict and fails every row", async () => {
    const built = await buildDir("policies");
    const compiled = built.compiled.filter((c) => c.policy.name === "disallow-privileged-containers") as CompiledPolicy[];
    const { cases } = collectCases(compiled);
    const denyCase = cases.find((c) => c.test.expect === "deny")!;
    // An engine that always allows stands for a backend whose output is wrong.
    const lenient: PolicyEngine = { name: "gatekeeper", evaluate: () => ({ verdict: "allow", messages: [] }) };
    const { rows, disagreements } = runPolicycCase(denyCase, [lenient, referenceEngine], ROOT);
    expect(disagreements).toBe(1);
    expect(rows.map((r) => [r.engine, r.actual, r.status])).toEqual([
      ["gatekeeper", "allow", "fail"],
      ["reference", "deny", "fail"],
    ]);
    expect(rows[1]!.reason).toBe("engines disagree: gatekeeper=allow reference=deny");
    expect(rows[0]!.reason).toBe("engines disagree: gatekeeper=allow reference=deny; expected deny, got allow");
    expect(path.isAbsolute(ROOT)).toBe(true);
  });
});
