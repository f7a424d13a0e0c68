import path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateReference } from "../src/engines/reference/index.js";
import { lowerPolicy } from "../src/ir/index.js";
import { loadPolicies } from "../src/load/index.js";
import { readYamlDocuments, ROOT } from "./support/helpers.js";

const loaded = await loadPolicies(path.join(ROOT, "policies"), ROOT);

describe("starter policies", () => {
  it("load without issues", () => {
    expect(loaded.issues).toEqual([]);
    expect(loaded.policies.map((p) => p.policy?.name).sort()).toEqual(["disallow-privileged-containers", "no-wildcard-verbs", "require-app-name-label"]);
  });

  for (const lp of loaded.policies) {
    const lowered = lowerPolicy(lp.policy!);
    if (!lowered.ok) throw new Error(JSON.stringify(lowered.issues));
    describe(lp.policy!.name, () => {
      it("has test cases", () => expect(lp.definition.tests.length).toBeGreaterThan(0));
      for (const t of lp.definition.tests) {
        const file = typeof t.resource === "string" ? path.resolve(ROOT, path.dirname(lp.file), t.resource) : undefined;
        it(`${t.expect}s ${typeof t.resource === "string" ? t.resource : "an inline resource"} on the reference evaluator`, () => {
          const [object] = file ? readYamlDocuments(file) : [t.resource];
          const outcome = evaluateReference(lowered.value, lowered.value.instances[0]!, object);
          const expected = t.expect === "skip" ? "none" : t.expect;
          expect(outcome.verdict).toBe(expected);
          if (t.message) {
            expect(outcome.verdict === "deny" ? outcome.messages.join("\n") : "").toContain(t.message);
          }
        });
      }
    });
  }
});
