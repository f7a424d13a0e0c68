/**
 * The cross-engine check: a case fails with its own label when engines disagree, even if one
 * matches. And generated code an engine rejects is reported as policyc's bug (exit 3), naming the policy.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CompiledPolicy } from "../../src/build/index.js";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { discoverRegoCompiler } from "../../src/engines/opa/index.js";
import { collectCases, formatCause, judgeRequest, composePolicycEngines, resolveCase } from "../../src/harness/index.js";
import { buildDir, ROOT } from "../support/helpers.js";

describe("engines disagree", () => {
  it("labels the case with every engine's verdict and fails every row", async () => {
    const built = await buildDir("test/starter");
    const compiled = built.compiled.filter((c) => c.policy.name === "disallow-privileged-containers") as CompiledPolicy[];
    const { cases } = collectCases(compiled);
    const denyCase = cases.find((c) => c.test.expect === "deny")!;
    const resolved = resolveCase(denyCase, ROOT);
    if (!resolved.ok) throw new Error(resolved.issue.message);
    const { engines } = await composePolicycEngines(compiled, ["reference"], { runtimes: {} });
    const reference = engines.evaluate(denyCase.policy, resolved.instance, resolved.requests[0]!.request);
    // An engine that always allows stands for a backend whose output is wrong.
    const { rows, disagreed } = judgeRequest(denyCase, resolved.requests[0]!, [
      { engine: "gatekeeper", verdict: { kind: "allow" } },
      ...reference,
    ]);
    expect(disagreed).toBe(true);
    expect(rows.map((r) => [r.engine, r.actual, r.status])).toEqual([
      ["gatekeeper", "allow", "fail"],
      ["reference", "deny", "fail"],
    ]);
    expect(rows[1]!.cause).toEqual({ kind: "disagreement", verdicts: { gatekeeper: "allow", reference: "deny" } });
    expect(formatCause(rows[1]!.cause!)).toBe("engines disagree: gatekeeper=allow reference=deny");
    expect(formatCause(rows[0]!.cause!)).toBe("engines disagree: gatekeeper=allow reference=deny; expected deny, got allow");
    expect(path.isAbsolute(ROOT)).toBe(true);
  });
});

describe("generated code an engine rejects is policyc's bug", () => {
  /** The privileged-containers policy with one target's documents rewritten. */
  async function tampered(target: string, edit: (doc: Record<string, unknown>) => void): Promise<CompiledPolicy> {
    const built = await buildDir("test/starter");
    const p = built.compiled.find((c) => c.policy.name === "disallow-privileged-containers")!;
    const outputs = p.outputs.map((o) =>
      o.target !== target
        ? o
        : {
            ...o,
            documents: o.documents.map((d, i) => {
              const copy = structuredClone(d) as unknown as Record<string, unknown>;
              if (i === 0) edit(copy);
              return copy as never;
            }),
          },
    );
    return { ...p, outputs };
  }

  it("Rego that does not compile: an internal issue naming the policy file and line", async () => {
    const p = await tampered("gatekeeper", (t) => {
      const target = (t.spec as { targets: { rego: string }[] }).targets[0]!;
      target.rego = target.rego.replace("violation contains", "violation contains contains");
    });
    const gk = await composePolicycEngines([p], ["gatekeeper"], { runtimes: { rego: await discoverRegoCompiler(), cacheDir: undefined } });
    expect(gk.internal).toHaveLength(1);
    expect(gk.internal[0]).toMatchObject({
      code: "generated_code_error",
      source: { file: "test/starter/disallow-privileged-containers.ts", line: p.policy.source.line },
    });
    expect(gk.internal[0]!.message).toMatch(
      /^policyc generated Rego for gatekeeper that does not compile \(a policyc bug; please report it\) at spec\.targets\.0\.rego: .*rego_parse_error/,
    );
  });

  it("CEL that does not compile: the same, for the CEL targets", async () => {
    const p = await tampered("kubernetes", (vap) => {
      (vap.spec as { validations: { expression: string }[] }).validations[0]!.expression = "object.spec.(";
    });
    const cel = await composePolicycEngines([p], ["kubernetes"], { runtimes: { cel: await CelRuntime.get() } });
    cel.engines.release();
    expect(cel.internal).toHaveLength(1);
    expect(cel.internal[0]).toMatchObject({
      code: "generated_code_error",
      source: { file: "test/starter/disallow-privileged-containers.ts" },
    });
    expect(cel.internal[0]!.message).toMatch(/^policyc generated CEL for kubernetes that does not compile/);
  });
});
