import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { ROOT } from "./helpers.js";

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

/** The project's copy of the upstream schemas (test/schemas/make-schemas.mjs made it; provenance in its README). */
export const SCHEMAS = path.join(ROOT, "test", "schemas", "upstream");

interface ReducedSchema {
  readonly crd?: { group: string; kind: string; versions: { name: string; schema: Schema }[] };
  readonly openapi?: { components: { schemas: Record<string, Schema> } };
}

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/**
 * A custom resource's schema with `metadata` as the API server reads it: always ObjectMeta (labels,
 * annotations…), the CRD's own `metadata` schema only adding restrictions (a name's maxLength).
 */
function withObjectMeta(schema: Schema, metaRef: string): Schema {
  const props = schema["properties"] as Record<string, Schema> | undefined;
  if (!props?.["metadata"]) return schema;
  const own = props["metadata"];
  const restrictions = { ...(own["properties"] ? { properties: own["properties"] } : {}) };
  return { ...schema, properties: { ...props, metadata: { allOf: [{ $ref: metaRef }, restrictions] } } };
}

function loadCrds(): void {
  const files = readdirSync(SCHEMAS).filter((f) => f.endsWith(".json") && f !== "manifest.json");
  const reducedOf = (file: string) => JSON.parse(readFileSync(path.join(SCHEMAS, file), "utf8")) as ReducedSchema;
  // The OpenAPI documents first: the CRDs' metadata refers to their ObjectMeta.
  let metaRef = "";
  for (const file of files) {
    const reduced = reducedOf(file);
    if (!reduced.openapi) continue;
    const components = reduced.openapi.components;
    ajv.addSchema({ $id: file, components: strict(components) as Schema });
    if (components.schemas[OBJECT_META] && !metaRef) metaRef = `${file}#/components/schemas/${OBJECT_META}`;
    for (const [name, s] of Object.entries(components.schemas)) {
      for (const gvk of (s["x-kubernetes-group-version-kind"] as { group: string; version: string; kind: string }[] | undefined) ?? []) {
        validators.set(
          `${gvk.group}/${gvk.version}/${gvk.kind}`,
          ajv.compile({ $ref: `${file}#/components/schemas/${name.replace(/~/g, "~0").replace(/\//g, "~1")}` }),
        );
      }
    }
  }
  for (const file of files) {
    const reduced = reducedOf(file);
    if (!reduced.crd) continue;
    for (const v of reduced.crd.versions)
      validators.set(
        `${reduced.crd.group}/${v.name}/${reduced.crd.kind}`,
        ajv.compile(metaRef ? withObjectMeta(strict(v.schema) as Schema, metaRef) : (strict(v.schema) as Schema)),
      );
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
