/**
 * What we ship is only what Gatekeeper reads: every generated ConstraintTemplate's Rego defines
 * `violation` and exactly the rules `violation` reaches, and nothing of policyc's test harness.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileCase } from "../fuzz/differential.js";
import { policy as fuzzPolicy } from "../fuzz/generate.js";
import { readYamlDocuments, ROOT } from "../support/helpers.js";

/** Rule name → the text of its definitions (a rule may be defined several times). */
function rulesOf(rego: string): Map<string, string> {
  const rules = new Map<string, string>();
  let current: string | undefined;
  for (const line of rego.split("\n")) {
    const head = /^([A-Za-z_][A-Za-z0-9_]*)\b/.exec(line);
    if (head && !["package", "import"].includes(head[1]!)) current = head[1]!;
    else if (/^\S/.test(line)) current = undefined;
    if (current) rules.set(current, `${rules.get(current) ?? ""}\n${line}`);
  }
  return rules;
}

/** The names of defined rules reachable from `violation`. */
function reachable(rules: Map<string, string>): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !rules.has(name)) return;
    seen.add(name);
    // Identifiers outside string literals.
    const code = rules.get(name)!.replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""');
    for (const m of code.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) visit(m[0]);
  };
  visit("violation");
  return seen;
}

function templatesIn(docs: unknown[]): string[] {
  return docs.flatMap((d) => {
    const doc = d as { kind?: string; spec?: { targets?: { rego?: string }[] } };
    return doc.kind === "ConstraintTemplate" ? (doc.spec?.targets ?? []).map((t) => t.rego ?? "") : [];
  });
}

function expectOnlyWhatViolationReaches(rego: string, label: string): void {
  const rules = rulesOf(rego);
  expect(rules.has("violation"), label).toBe(true);
  expect(
    [...rules.keys()].filter((r) => !reachable(rules).has(r)),
    `${label}: rules violation does not reach`,
  ).toEqual([]);
  expect(rego, label).not.toMatch(/policyc_review|policyc test/);
}

describe("the Rego policyc ships", () => {
  const files = [
    // Templates (sync/ holds the Config, no Rego).
    ...readdirSync(path.join(ROOT, "generated", "gatekeeper"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => path.join(ROOT, "generated", "gatekeeper", f)),
    ...readdirSync(path.join(ROOT, "test", "golden")).map((d) => path.join(ROOT, "test", "golden", d, "gatekeeper.yaml")),
  ];

  it.each(files.map((f) => [path.relative(ROOT, f)]))("%s holds violation and exactly what it reaches", (file) => {
    const templates = templatesIn(readYamlDocuments(path.join(ROOT, file)));
    expect(templates).toHaveLength(1);
    expectOnlyWhatViolationReaches(templates[0]!, file);
  });

  it("so does the Rego of 300 fuzzed policies (the whole vocabulary)", () => {
    for (const p of fc.sample(fuzzPolicy, { numRuns: 300, seed: 424242 })) {
      for (const rego of templatesIn(compileCase(p).outputs.flatMap((o) => o.documents as unknown[])))
        expectOnlyWhatViolationReaches(rego, p.name);
    }
  });

  it("the check finds a rule violation does not reach", () => {
    const rules = rulesOf('package p\n\nviolation contains {"msg": "x"} if _used\n\n_used if true\n\n_stray := 1\n');
    expect([...rules.keys()].filter((r) => !reachable(rules).has(r))).toEqual(["_stray"]);
  });
});

describe("the Rego prelude", () => {
  it("prelude.generated.ts holds exactly the .rego sources of src/lower/rego/prelude (run npm run build:prelude)", async () => {
    const { readFileSync } = await import("node:fs");
    const { PRELUDES } = await import("../../src/lower/rego/prelude.generated.js");
    const dir = path.join(ROOT, "src", "lower", "rego", "prelude");
    const sources = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith(".rego"))
        .map((f) => [f.replace(/\.rego$/, ""), readFileSync(path.join(dir, f), "utf8")]),
    );
    expect(PRELUDES).toEqual(sources);
  });
});
