import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readYamlDocuments, ROOT } from "./support/helpers.js";
import { parameterErrors, schemaErrors } from "./support/k8s-schema.js";

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? yamlFiles(full) : f.endsWith(".yaml") ? [full] : [];
  });
}

const files = [...yamlFiles(path.join(ROOT, "generated")), ...yamlFiles(path.join(ROOT, "test", "golden"))].sort();

describe("every emitted document validates against the upstream schemas in ../shared/schemas", () => {
  it("finds generated and golden files", () => expect(files.length).toBeGreaterThan(12));
  it.each(files.map((f) => [path.relative(ROOT, f)]))("%s", (file) => {
    const docs = readYamlDocuments(path.join(ROOT, file)) as { apiVersion: string; kind: string; spec?: Record<string, unknown> }[];
    let template: { spec: { crd: { spec: { validation?: { openAPIV3Schema: Record<string, unknown> } } } } } | undefined;
    for (const doc of docs) {
      const errors = schemaErrors(doc);
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
  });

  it("rejects a document with an unknown field (the check is strict)", () => {
    expect(schemaErrors({ apiVersion: "policies.kyverno.io/v1", kind: "ValidatingPolicy", metadata: { name: "x" }, spec: { validations: [], bogus: 1 } } as never)).not.toEqual([]);
    expect(schemaErrors({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: "x" }, spec: { policyName: "x", bogus: true } } as never)).not.toEqual([]);
  });
});
