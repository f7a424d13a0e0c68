#!/usr/bin/env node
// `npm run schemas`: makes the project's copy of the upstream schemas the tests validate against.
//
// Reads the shared folder of upstream CRDs and Kubernetes OpenAPI documents (default
// ../shared/schemas beside the project; a path as the first argument overrides it) and writes
// test/schemas/upstream/, which travels with the project so `npm test` passes on a clone with
// nothing beside it. Each file is reduced to its structural schema: per CRD, the group, the kind
// and each version's openAPIV3Schema; per OpenAPI document, `components.schemas`. Only the
// `description` keyword of schemas is dropped (prose, most of the bytes); everything validation
// reads is kept as upstream wrote it. The README's provenance table is copied alongside, and a
// manifest records the SHA-256 of every source file, so test/schemas.test.ts can tell a stale
// copy from a current one. Never edit the output by hand: run this script.
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const OUT = path.join(HERE, "upstream");
export const DEFAULT_SOURCE = path.resolve(HERE, "..", "..", "..", "shared", "schemas");

/** Schema keywords whose values are schemas, or maps/lists of schemas. */
const SCHEMA_MAPS = ["properties", "patternProperties", "definitions", "$defs"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const SCHEMA_ONES = ["items", "additionalProperties", "not", "additionalItems", "contains"];

/** A schema without its `description` keywords, at every depth (never a property named description). */
export function withoutDescriptions(schema) {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "description") continue;
    if (SCHEMA_MAPS.includes(key) && value && typeof value === "object")
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutDescriptions(v)]));
    else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) out[key] = value.map(withoutDescriptions);
    else if (SCHEMA_ONES.includes(key)) out[key] = withoutDescriptions(value);
    else out[key] = value;
  }
  return out;
}

/** The reduced form of one upstream file (a CRD YAML or an OpenAPI v3 JSON document). */
export function reduce(file, text) {
  if (file.endsWith(".json")) {
    const doc = JSON.parse(text);
    const schemas = Object.fromEntries(Object.entries(doc.components?.schemas ?? {}).map(([k, v]) => [k, withoutDescriptions(v)]));
    return { source: file, openapi: { components: { schemas } } };
  }
  const crds = parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS();
  });
  const crd = crds.find((c) => c?.kind === "CustomResourceDefinition");
  if (!crd) throw new Error(`${file}: no CustomResourceDefinition`);
  return {
    source: file,
    crd: {
      group: crd.spec.group,
      kind: crd.spec.names.kind,
      scope: crd.spec.scope,
      versions: crd.spec.versions.map((v) => ({
        name: v.name,
        served: v.served,
        storage: v.storage,
        schema: withoutDescriptions(v.schema?.openAPIV3Schema ?? {}),
      })),
    },
  };
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** What the script writes, as file name → text, from a source folder. */
export function makeSchemas(source) {
  const files = fs
    .readdirSync(source)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  const out = new Map();
  const manifest = {};
  for (const file of files) {
    const bytes = fs.readFileSync(path.join(source, file));
    manifest[file] = sha256(bytes);
    out.set(file.replace(/\.(ya?ml|json)$/, ".json"), `${JSON.stringify(reduce(file, bytes.toString("utf8")))}\n`);
  }
  const readme = fs.readFileSync(path.join(source, "README.md"), "utf8");
  out.set(
    "README.md",
    `<!-- Made by test/schemas/make-schemas.mjs from the shared schemas folder; do not edit. -->\n` +
      `Each .json file here is the upstream file of the same name reduced to its structural schema ` +
      `(descriptions dropped); manifest.json holds the SHA-256 of each upstream file it was made from.\n\n${readme}`,
  );
  out.set("manifest.json", `${JSON.stringify(manifest, null, 2)}\n`);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const source = path.resolve(process.argv[2] ?? DEFAULT_SOURCE);
  if (!fs.existsSync(path.join(source, "README.md"))) {
    process.stderr.write(`make-schemas: ${source} holds no schemas (give the shared schemas folder as the argument)\n`);
    process.exit(2);
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  let bytes = 0;
  for (const [name, text] of makeSchemas(source)) {
    fs.writeFileSync(path.join(OUT, name), text);
    bytes += Buffer.byteLength(text);
  }
  process.stderr.write(`make-schemas: wrote ${path.relative(process.cwd(), OUT)} (${bytes} bytes)\n`);
}
