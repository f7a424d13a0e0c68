import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { emitYaml } from "../../src/emit/index.js";
import { compileCase } from "../fuzz/differential.js";
import { policy as fuzzPolicy } from "../fuzz/generate.js";
import { readYamlDocuments, ROOT } from "../support/helpers.js";
import { parameterErrors, schemaErrors } from "../support/k8s-schema.js";

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? yamlFiles(full) : f.endsWith(".yaml") ? [full] : [];
  });
}

const files = [...yamlFiles(path.join(ROOT, "generated")), ...yamlFiles(path.join(ROOT, "test", "golden"))].sort();

type Doc = { apiVersion: string; kind: string; spec?: Record<string, unknown> };

/** Every document against its upstream schema; Constraints against their template's parameter schema. */
function expectValid(docs: readonly Doc[]): void {
  let template: { spec: { crd: { spec: { validation?: { openAPIV3Schema: Record<string, unknown> } } } } } | undefined;
  for (const doc of docs) {
    const errors = schemaErrors(doc as never);
    if (doc.kind === "ConstraintTemplate") template = doc as never;
    if (errors === undefined) {
      // Constraints: their CRD is generated from the template, so check them against it.
      expect(doc.apiVersion).toBe("constraints.gatekeeper.sh/v1beta1");
      const schema = template?.spec.crd.spec.validation?.openAPIV3Schema;
      if (schema) expect(parameterErrors(schema, doc.spec?.["parameters"])).toEqual([]);
      else expect(doc.spec?.["parameters"]).toBeUndefined();
      continue;
    }
    expect(errors, `${doc.kind} ${JSON.stringify((doc as { metadata?: unknown }).metadata)}`).toEqual([]);
  }
}

describe("every emitted document validates against the upstream schemas (the project's copy in test/schemas/upstream)", () => {
  it("finds generated and golden files", () => expect(files.length).toBeGreaterThan(12));
  it.each(files.map((f) => [path.relative(ROOT, f)]))("%s", (file) => {
    expectValid(readYamlDocuments(path.join(ROOT, file)) as Doc[]);
  });

  it("so does every document of 300 fuzzed policies, as emitted (the whole vocabulary, random parameters and names)", () => {
    for (const p of fc.sample(fuzzPolicy, { numRuns: 300, seed: 424242 })) {
      for (const out of compileCase(p).outputs) {
        const docs = parseAllDocuments(emitYaml(out, "fuzz.ts")).map((d) => d.toJS() as Doc);
        expect(docs.length).toBe(out.documents.length);
        expectValid(docs);
      }
    }
  });

  it("rejects a document with an unknown field (the check is strict)", () => {
    expect(
      schemaErrors({
        apiVersion: "policies.kyverno.io/v1",
        kind: "ValidatingPolicy",
        metadata: { name: "x" },
        spec: { validations: [], bogus: 1 },
      } as never),
    ).not.toEqual([]);
    expect(
      schemaErrors({
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: { name: "x" },
        spec: { policyName: "x", bogus: true },
      } as never),
    ).not.toEqual([]);
  });
});
