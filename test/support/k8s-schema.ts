import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { SCHEMAS } from "./helpers.js";

type Schema = Record<string, unknown>;

/**
 * Makes a Kubernetes schema strict the way the API server is with field validation Strict: an
 * object listing `properties` rejects unknown fields unless it sets `additionalProperties` or
 * `x-kubernetes-preserve-unknown-fields`. `nullable` allows null; int-or-string allows both.
 */
function strict(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(strict);
  if (!s || typeof s !== "object") return s;
  const o: Schema = {};
  for (const [k, v] of Object.entries(s as Schema)) {
    if (k === "properties" && v && typeof v === "object")
      o[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, strict(ps)]));
    else o[k] = strict(v);
  }
  if (o["properties"] && o["additionalProperties"] === undefined && !o["x-kubernetes-preserve-unknown-fields"])
    o["additionalProperties"] = false;
  if (o["x-kubernetes-int-or-string"]) {
    delete o["type"];
    if (!o["anyOf"]) o["anyOf"] = [{ type: "integer" }, { type: "string" }];
  }
  if (o["nullable"] === true && typeof o["type"] === "string") o["type"] = [o["type"], "null"];
  return o;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

function loadCrds(): void {
  for (const file of [
    "policies.kyverno.io_validatingpolicies.yaml",
    "kyverno.io_clusterpolicies.yaml",
    "templates.gatekeeper.sh_constrainttemplates.yaml",
    "config.gatekeeper.sh_configs.yaml",
    "policies.kyverno.io_policyexceptions.yaml",
    "kyverno.io_policyexceptions.yaml",
    "wgpolicyk8s.io_policyreports.yaml",
    "wgpolicyk8s.io_clusterpolicyreports.yaml",
  ]) {
    for (const doc of parseAllDocuments(readFileSync(path.join(SCHEMAS, file), "utf8"))) {
      const crd = doc.toJS() as {
        spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
      };
      for (const v of crd.spec.versions)
        validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strict(v.schema.openAPIV3Schema) as Schema));
    }
  }
  const openapi = JSON.parse(readFileSync(path.join(SCHEMAS, "admissionregistration.k8s.io_v1_openapi.json"), "utf8")) as {
    components: { schemas: Record<string, Schema> };
  };
  ajv.addSchema({ $id: "k8s", components: strict(openapi.components) as Schema });
  for (const [name, s] of Object.entries(openapi.components.schemas)) {
    for (const gvk of (s["x-kubernetes-group-version-kind"] as { group: string; version: string; kind: string }[] | undefined) ?? []) {
      validators.set(
        `${gvk.group}/${gvk.version}/${gvk.kind}`,
        ajv.compile({ $ref: `k8s#/components/schemas/${name.replace(/~/g, "~0").replace(/\//g, "~1")}` }),
      );
    }
  }
}

/** Schema errors of a document, or `undefined` when no schema covers its kind. */
export function schemaErrors(doc: { apiVersion: string; kind: string }): string[] | undefined {
  if (validators.size === 0) loadCrds();
  const v = validators.get(`${doc.apiVersion}/${doc.kind}`);
  if (!v) return undefined;
  return v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Validates parameters against a ConstraintTemplate's parameter schema. */
export function parameterErrors(schema: Schema, parameters: unknown): string[] {
  const v = ajv.compile(strict(schema) as Schema);
  return v(parameters) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
