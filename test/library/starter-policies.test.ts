/**
 * The bundled policies' own cases on every engine (kyverno and kubernetes on the CEL engine,
 * gatekeeper on OPA Wasm, the reference evaluator), through policyc/testing as users write them.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicies } from "../../src/load/index.js";
import { EngineDisagreementError, evaluate } from "../../src/testing/index.js";
import "../../src/testing/vitest.js";
import { ROOT } from "../support/helpers.js";

const loaded = await loadPolicies(path.join(ROOT, "test", "starter"), ROOT);

describe("starter policies", () => {
  it("load without issues", () => {
    expect(loaded.issues).toEqual([]);
    expect(loaded.policies.map((p) => p.policy?.name).sort()).toEqual([
      "disallow-privileged-containers",
      "no-wildcard-verbs",
      "require-app-name-label",
    ]);
  });

  for (const lp of loaded.policies) {
    describe(lp.policy!.name, () => {
      it("has test cases", () => expect(lp.definition.tests.length).toBeGreaterThan(0));
      for (const t of lp.definition.tests) {
        const label = typeof t.resource === "string" ? t.resource : "an inline resource";
        it(`${t.expect}s ${label} on every engine`, async () => {
          const cwd = path.resolve(ROOT, path.dirname(lp.file));
          const result = await evaluate(lp.definition, t.resource as string, { cwd, ...(t.operation ? { operation: t.operation } : {}) });
          expect(Object.keys(result.engines).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno", "reference"]);
          if (t.expect === "allow") expect(result).toAllow();
          else if (t.expect === "skip") expect(result).toSkip();
          else expect(result).toDeny(t.message);
        });
      }
    });
  }
});

describe("policyc/testing", () => {
  const privileged = loaded.policies.find((p) => p.policy?.name === "disallow-privileged-containers")!.definition;
  const pod = (privileged: boolean) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "x" },
    spec: { containers: [{ name: "app", image: "nginx", securityContext: { privileged } }] },
  });

  it("evaluates inline objects and matches messages by substring or regular expression", async () => {
    expect(await evaluate(privileged, pod(true))).toDeny(/Privileged container app/);
    expect(await evaluate(privileged, pod(true))).toDeny("app is not allowed");
    expect(await evaluate(privileged, pod(false))).toAllow();
    expect(await evaluate(privileged, { apiVersion: "v1", kind: "Service", metadata: { name: "s" } })).toSkip();
  });

  it("the matchers fail when the verdict differs", async () => {
    const denied = await evaluate(privileged, pod(true));
    expect(() => expect(denied).toAllow()).toThrow(/expected the policy to allow, it said deny/);
    expect(() => expect(denied).toDeny(/nothing like this/)).toThrow(
      /expected the policy to deny with a message matching \/nothing like this\/, it said deny \("Privileged container app/,
    );
  });

  it("negated matchers say what was not expected", async () => {
    const denied = await evaluate(privileged, pod(true));
    expect(denied).not.toAllow();
    expect(() => expect(denied).not.toDeny()).toThrow(/expected the policy not to deny, it said deny/);
    expect(() => expect(denied).not.toDeny("app")).toThrow(/expected the policy not to deny with a message matching app/);
    const allowed = await evaluate(privileged, pod(false));
    expect(() => expect(allowed).not.toAllow()).toThrow(/expected the policy not to allow, it said allow/);
    expect(() => expect(allowed).toSkip()).toThrow(/expected the policy not to apply, it said allow/);
  });

  it("resolves a fixture path against the calling test file, and evaluates every document of it", async () => {
    // Relative to this file (test/library/), not to the working directory (the repository root).
    const both = await evaluate(privileged, "testing-fixtures/two-pods.yaml");
    expect(both.documents.map((d) => d.verdict)).toEqual(["deny", "allow"]);
    expect(both.verdict).toBe("mixed");
    expect(() => expect(both).toDeny()).toThrow(/expected the policy to deny, it said allow\/deny by document \(deny, allow\)/);
    expect(() => expect(both).toAllow()).toThrow(/to allow/);
    // A path that exists only from the working directory still resolves there.
    expect(await evaluate(privileged, "test/starter/fixtures/pod-privileged.yaml")).toDeny(/Privileged/);
  });

  it("reports a disagreement between engines as an error naming each engine's verdict", () => {
    const err = new EngineDisagreementError({
      gatekeeper: { kind: "allow" },
      reference: { kind: "deny", actions: ["enforce"], violations: [{ message: "x" }] },
    });
    expect(err.message).toBe("engines disagree: gatekeeper=allow reference=deny");
  });
});
