/**
 * Every command composes its engines in one place (src/harness/compose.ts): an engine registered
 * there once is the one `policyc test`, `apply` (TypeScript and YAML policies), Kyverno test
 * folders, gator suites and `policyc/testing` evaluate with. A recording engine wraps the real
 * one and counts what each command asked it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Engine, EngineName } from "../../src/engines/index.js";
import { compareAnswers, engineKind, registerEngineKind, type EngineAnswer } from "../../src/harness/index.js";
import { evaluate } from "../../src/testing/index.js";
import { cli } from "../support/helpers.js";

/** Registers a recording engine over the real one of each name; `calls` counts evaluations by policy. */
function recordEngines(names: readonly EngineName[]) {
  const calls = new Map<string, number>();
  const restores = names.map((name) => {
    const real = engineKind(name);
    return registerEngineKind({
      ...real,
      async prepare(input, context) {
        const prepared = await real.prepare(input, context);
        const engine: Engine = {
          name,
          has: (p, set) => prepared.engine.has(p, set),
          release: () => prepared.engine.release(),
          evaluate(request, options) {
            calls.set(`${name}:${request.policy}`, (calls.get(`${name}:${request.policy}`) ?? 0) + 1);
            return prepared.engine.evaluate(request, options);
          },
        };
        return { engine, problems: prepared.problems };
      },
    });
  });
  return { calls, restore: () => restores.forEach((r) => r()) };
}

describe("one composition module for every command", () => {
  let recorder: ReturnType<typeof recordEngines>;
  beforeEach(() => {
    recorder = recordEngines(["kyverno", "kubernetes", "gatekeeper", "reference"]);
  });
  afterEach(() => recorder.restore());
  const seen = (prefix: string) => [...recorder.calls.keys()].filter((k) => k.startsWith(prefix));

  it("policyc test evaluates policyc's cases on the registered engines", async () => {
    const r = await cli(["test", "test/starter", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    for (const e of ["kyverno", "kubernetes", "gatekeeper", "reference"])
      expect(seen(`${e}:disallow-privileged-containers`), e).not.toHaveLength(0);
  });

  it("policyc apply evaluates TypeScript and YAML policies on them", async () => {
    const ts = await cli(["apply", "test/starter/fixtures", "--policies", "test/starter", "--reporter", "json"]);
    expect(ts.code, ts.err).toBe(1);
    expect(seen("reference:disallow-privileged-containers")).not.toHaveLength(0);
    const yaml = await cli(["apply", "test/apply/manifests", "--policy", "test/apply/policies", "--reporter", "json"]);
    expect(yaml.code, yaml.err).toBe(1);
    expect(seen("kyverno:disallow-privileged")).not.toHaveLength(0);
    expect(seen("kubernetes:no-node-ports")).not.toHaveLength(0);
    expect(seen("gatekeeper:widgets-small")).not.toHaveLength(0);
  });

  it("Kyverno test folders and gator suites run on them", async () => {
    expect((await cli(["test", "test/kyverno/validating-policy"])).code).toBe(0);
    expect(seen("kyverno:")).not.toHaveLength(0);
    expect((await cli(["verify", "test/gator/required-labels"])).code).toBe(0);
    expect(seen("gatekeeper:")).not.toHaveLength(0);
  });

  it("policyc/testing's evaluate runs on them", async () => {
    const { default: policy } = await import("../starter/disallow-privileged-containers.js");
    const before = recorder.calls.get("reference:disallow-privileged-containers") ?? 0;
    await evaluate(policy, "test/starter/fixtures/pod-privileged.yaml", { cwd: process.cwd() }).catch(() => undefined);
    expect(recorder.calls.get("reference:disallow-privileged-containers")).toBe(before + 1);
  });
});

describe("the one disagreement rule", () => {
  const v = (engine: EngineName, kind: "allow" | "deny" | "error" | "not_evaluated" | "not_matched"): EngineAnswer => ({
    engine,
    verdict:
      kind === "allow"
        ? { kind: "allow" }
        : kind === "deny"
          ? { kind: "deny", actions: ["Deny"], violations: [{ message: "m" }] }
          : kind === "error"
            ? { kind: "error", cause: { code: "evaluation_error", detail: "x" } }
            : { kind: "skip", cause: { code: kind, detail: "x" } },
  });

  it.each([
    { note: "allow against deny", answers: [v("kyverno", "allow"), v("reference", "deny")], disagreed: true },
    { note: "a skip against a deny", answers: [v("kyverno", "not_matched"), v("reference", "deny")], disagreed: true },
    { note: "an error is no second opinion", answers: [v("kyverno", "error"), v("reference", "deny")], disagreed: false },
    {
      note: "a target opted out of gives no verdict",
      answers: [{ engine: "kubernetes", optedOut: "why" } as EngineAnswer, v("reference", "deny")],
      disagreed: false,
    },
    {
      note: "a policy an engine does not evaluate in this mode",
      answers: [v("kyverno", "not_evaluated"), v("reference", "allow")],
      disagreed: false,
    },
  ])("$note", ({ answers, disagreed }) => {
    expect(compareAnswers(answers).disagreed).toBe(disagreed);
  });

  it("denies that agree must say the same: a message the reference engine does not report is a disagreement", () => {
    const deny = (engine: EngineName, ...messages: string[]): EngineAnswer => ({
      engine,
      verdict: { kind: "deny", actions: ["Deny"], violations: messages.map((message) => ({ message })) },
    });
    // Fewer messages is fine (the CEL targets report a rule's first offending element).
    expect(compareAnswers([deny("kyverno", "a  b"), deny("reference", "a  b", "c")]).disagreed).toBe(false);
    // A rewritten one is not: the user would read something else.
    const rewritten = compareAnswers([deny("kyverno", "a b"), deny("reference", "a  b")]);
    expect(rewritten.disagreed).toBe(true);
    expect(rewritten.messages).toBe('kyverno reports "a b", which the reference engine does not');
  });
});
