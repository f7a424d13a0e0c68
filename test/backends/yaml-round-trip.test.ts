/**
 * Generated YAML means to Kubernetes exactly what the policy says. Kubernetes, kubectl and
 * Gatekeeper read YAML with Go's library, which follows YAML 1.1 for plain scalars: every string
 * of every emitted document must read back as the same string with a YAML 1.1 reader, and no
 * control character may be written raw.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { emitYaml } from "../../src/emit/index.js";
import { definePolicy, Pod, z } from "../../src/index.js";
import { lowerPolicy, TARGET_NAMES } from "../../src/ir/index.js";
import { compilePolicy } from "../../src/backends/index.js";
import { compileCase } from "../fuzz/differential.js";
import { policy as fuzzPolicy } from "../fuzz/generate.js";
import { buildDir, ROOT } from "../support/helpers.js";

/** How Go's YAML (yaml.v2, under sigs.k8s.io/yaml) reads a file: YAML 1.1. */
const readAsGo = (text: string) => parseAllDocuments(text, { version: "1.1" }).map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);

/** Strings a YAML 1.1 reader takes for something else, and characters that must not be raw. */
const TRICKY = [
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "Y",
  "true",
  "null",
  "~",
  "0x10",
  "012",
  "1_000",
  "1e3",
  ".inf",
  "-.Inf",
  ".nan",
  "0b101",
  "190:20:30",
  "2001-12-14",
  "<<",
  "=",
  "a\u007fb",
  "a\u0085b",
  "a\u0080b",
  "x\u0001y",
  "\ufeffbom",
  "line\u2028separator",
  "tab\tand\nnewline",
];
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

function expectRoundTrip(documents: readonly unknown[], text: string): void {
  expect(RAW.test(text), "a raw control character in the output").toBe(false);
  expect(readAsGo(text)).toEqual(JSON.parse(JSON.stringify(documents)));
}

describe("emitted YAML reads back unchanged with YAML 1.1 rules", () => {
  it("strings YAML 1.1 would read as booleans, numbers or null, and control characters, in messages, parameters and labels", () => {
    const def = definePolicy({
      name: "yaml-tricky",
      title: TRICKY.join(" "),
      match: { kinds: [Pod], labels: { matchLabels: { tier: "on" } } },
      params: z.object({ values: z.array(z.string()).default(TRICKY), first: z.string().default("off") }),
      validate: (pod, params) =>
        pod.metadata.labels.at("mode").oneOf(params.values).message`label ${pod.metadata.labels.at("mode")} ${TRICKY.join("|")}`,
    });
    expect(def.issues).toEqual([]);
    const lowered = lowerPolicy(def.policy!);
    expect(lowered.ok).toBe(true);
    for (const out of compilePolicy(lowered.ok ? lowered.value : (undefined as never), TARGET_NAMES)) {
      const text = emitYaml(out, "policies/yaml\ninjected: true.ts");
      expectRoundTrip(out.documents, text);
      // The file name's line break stays inside the header comment.
      expect(text.split("\n")[0]).toContain("policies/yaml\\ninjected: true.ts");
      if (out.target === "gatekeeper") expect(text).toContain('- "yes"'); // a Constraint's parameter
      expect(text).toContain("\\u007f");
    }
  });

  it("every golden policy's documents, and those of 200 fuzzed policies (random parameters)", async () => {
    // Every format; a policy that reads the cluster has no legacy ClusterPolicy.
    const built = await buildDir("test/golden", { kyvernoFormats: ["validating-policy"] });
    const legacy = await Promise.all(
      readdirSync(path.join(ROOT, "test/golden"))
        .filter((d) => d !== "lookups")
        .map((d) => buildDir(`test/golden/${d}`, { kyvernoFormats: ["legacy"], targets: ["kyverno"] })),
    );
    expect(built.compiled.length).toBeGreaterThan(10);
    expect(legacy.flatMap((l) => l.issues)).toEqual([]);
    for (const c of [...built.compiled, ...legacy.flatMap((l) => l.compiled)])
      for (const out of c.outputs) expectRoundTrip(out.documents, emitYaml(out, c.file));
    for (const p of fc.sample(fuzzPolicy, { numRuns: 200, seed: 11111 })) {
      for (const out of compileCase(p).outputs) expectRoundTrip(out.documents, emitYaml(out, "fuzz.ts"));
    }
  });

  it("any string at all, as a parameter value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (s) => {
        const doc = { apiVersion: "x/v1", kind: "X", metadata: { name: "p" }, spec: { parameters: { s, [s || "k"]: s } } };
        const text = emitYaml({ target: "gatekeeper", policy: "p", documents: [doc] }, "p.ts");
        expect(RAW.test(text)).toBe(false);
        expect(readAsGo(text)).toEqual([doc]);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
