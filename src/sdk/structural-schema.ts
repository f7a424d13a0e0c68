import { z } from "zod";
import type { JsonSchema } from "../ir/index.js";

/** Keywords a Kubernetes structural schema (CRD openAPIV3Schema) accepts. */
const KEEP = new Set([
  "type",
  "format",
  "title",
  "description",
  "default",
  "enum",
  "nullable",
  "maximum",
  "minimum",
  "exclusiveMaximum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "multipleOf",
  "maxProperties",
  "minProperties",
  "required",
  "items",
  "properties",
  "additionalProperties",
  "x-kubernetes-preserve-unknown-fields",
]);

/**
 * Turns zod's OpenAPI 3.0 output into a structural schema, which Gatekeeper requires for a
 * ConstraintTemplate's parameters: known keywords only, `additionalProperties` only where
 * there are no `properties` (the two are exclusive in structural schemas), and schemas zod
 * cannot describe (`{}`) kept as preserved unknown fields.
 */
export function toStructuralSchema(s: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (!KEEP.has(k)) continue;
    if (k === "properties" && v && typeof v === "object") {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, JsonSchema>).map(([p, ps]) => [p, toStructuralSchema(ps)]));
    } else if (k === "items" && v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = toStructuralSchema(v as JsonSchema);
    } else if (k === "additionalProperties") {
      if (s["properties"] || typeof v !== "object" || v === null) continue;
      out[k] = toStructuralSchema(v as JsonSchema);
    } else out[k] = v;
  }
  if (out["type"] === undefined && out["properties"] === undefined && out["items"] === undefined) {
    out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  if (Array.isArray(out["required"]) && (out["required"] as unknown[]).length === 0) delete out["required"];
  return out;
}

/** A zod schema as a structural schema: its input (what users write: parameters) or its output (what objects hold). */
export function structuralSchemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  return toStructuralSchema(z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" }) as JsonSchema);
}
