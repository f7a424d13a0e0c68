import { distance } from "fastest-levenshtein";
import type { JsonSchema } from "../ir/index.js";
import { KIND_TYPES, OBJECT_TYPES } from "./field-table.generated.js";

/**
 * A field's type as the generated field table writes it: a scalar, `any` (anything goes), the
 * name of an object type in `OBJECT_TYPES`, a list (`[item]`) or a map (`{"*": value}`).
 */
export type FieldType = "string" | "number" | "boolean" | "scalar" | "any" | string | readonly [FieldType] | { readonly "*": FieldType };

/**
 * What the SDK knows of a value's shape while rules are built, so that reading a field the
 * object cannot have (a misspelling, a field of another kind) is an error where it is written
 * rather than a condition that silently never holds.
 */
export type Shape =
  | { readonly kind: "any" }
  | { readonly kind: "scalar"; readonly type: "string" | "number" | "boolean" | "scalar" }
  | {
      readonly kind: "object";
      readonly name: string;
      readonly fields: (field: string) => Shape | undefined;
      readonly names: () => string[];
    }
  | { readonly kind: "map"; readonly name: string; readonly value: Shape }
  | { readonly kind: "list"; readonly name: string; readonly item: Shape };

export const ANY: Shape = { kind: "any" };

const SCALARS = new Set(["string", "number", "boolean", "scalar"]);

/** The shape of a field-table type. */
export function shapeOfFieldType(t: FieldType): Shape {
  if (Array.isArray(t)) {
    const item = shapeOfFieldType((t as readonly [FieldType])[0]);
    return { kind: "list", name: `list of ${describe(item)}`, item };
  }
  if (typeof t === "object") {
    const value = shapeOfFieldType((t as { "*": FieldType })["*"]);
    return { kind: "map", name: `map of ${describe(value)}`, value };
  }
  if (t === "any") return ANY;
  if (SCALARS.has(t)) return { kind: "scalar", type: t as "string" | "number" | "boolean" | "scalar" };
  const fields = OBJECT_TYPES[t];
  if (!fields) return ANY;
  return {
    kind: "object",
    name: t,
    fields: (f) => (Object.hasOwn(fields, f) ? shapeOfFieldType(fields[f]!) : undefined),
    names: () => Object.keys(fields),
  };
}

/** The shape of a built-in kind's objects, or undefined when the field table does not know the kind. */
export function shapeOfKind(apiVersion: string, kind: string): Shape | undefined {
  const t = KIND_TYPES[`${apiVersion}/${kind}`];
  return t ? shapeOfFieldType(t) : undefined;
}

/** The shape a JSON schema (a custom kind's, the parameters') describes. */
export function shapeOfSchema(schema: JsonSchema | undefined, name: string): Shape {
  if (!schema || typeof schema !== "object") return ANY;
  const s = schema as Record<string, unknown>;
  if (s["x-kubernetes-preserve-unknown-fields"] === true || s["x-kubernetes-int-or-string"] === true) {
    return s["x-kubernetes-int-or-string"] === true ? { kind: "scalar", type: "scalar" } : ANY;
  }
  switch (s.type) {
    case "string":
      return { kind: "scalar", type: "string" };
    case "integer":
    case "number":
      return { kind: "scalar", type: "number" };
    case "boolean":
      return { kind: "scalar", type: "boolean" };
    case "array": {
      const item = shapeOfSchema(s.items as JsonSchema | undefined, `${name} item`);
      return { kind: "list", name: `list of ${describe(item)}`, item };
    }
    case "object": {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const extra = s.additionalProperties;
      if (Object.keys(props).length === 0) {
        if (extra === false) return { kind: "object", name, fields: () => undefined, names: () => [] };
        const value = typeof extra === "object" && extra !== null ? shapeOfSchema(extra as JsonSchema, `${name} value`) : ANY;
        return { kind: "map", name: `map of ${describe(value)}`, value };
      }
      // Declared properties and more besides: only the declared ones can be checked.
      if (extra !== undefined && extra !== false) return ANY;
      return {
        kind: "object",
        name,
        fields: (f) => (Object.hasOwn(props, f) ? shapeOfSchema(props[f], `${name}.${f}`) : undefined),
        names: () => Object.keys(props),
      };
    }
    default:
      return ANY;
  }
}

/**
 * The shape of a value that is any of `shapes` (several kinds' objects; an element of any of
 * several lists): a field is known when any of them has it.
 */
export function unionShape(shapes: readonly Shape[]): Shape {
  if (shapes.length === 1) return shapes[0]!;
  if (shapes.length === 0 || shapes.some((s) => s.kind === "any")) return ANY;
  const kinds = new Set(shapes.map((s) => s.kind));
  if (kinds.size > 1) return ANY;
  const first = shapes[0]!;
  switch (first.kind) {
    case "scalar": {
      const types = new Set(shapes.map((s) => (s as { type: string }).type));
      return types.size === 1 ? first : { kind: "scalar", type: "scalar" };
    }
    case "list": {
      const item = unionShape(shapes.map((s) => (s as { item: Shape }).item));
      return { kind: "list", name: `list of ${describe(item)}`, item };
    }
    case "map": {
      const value = unionShape(shapes.map((s) => (s as { value: Shape }).value));
      return { kind: "map", name: `map of ${describe(value)}`, value };
    }
    case "object": {
      const objects = shapes as Extract<Shape, { kind: "object" }>[];
      const names = [...new Set(objects.map((o) => o.name))];
      return {
        kind: "object",
        name: names.join(" or "),
        fields: (f) => {
          const found = objects.map((o) => o.fields(f)).filter((x): x is Shape => x !== undefined);
          return found.length === 0 ? undefined : unionShape(found);
        },
        names: () => [...new Set(objects.flatMap((o) => o.names()))],
      };
    }
    default:
      return ANY;
  }
}

/** "string", "Container", "list of Container"… */
export function describe(s: Shape): string {
  switch (s.kind) {
    case "any":
      return "any value";
    case "scalar":
      return s.type === "scalar" ? "string or number" : s.type;
    default:
      return s.name;
  }
}

/** The known name closest to `name` (edit distance at most a third of its length), for "did you mean". */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** What a kind handle (a built-in kind, or a custom one with its schema or `unchecked`) says of its objects' fields. */
export interface KindShapeSource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly schema?: JsonSchema;
  readonly unchecked?: true;
}

/** The shape of a kind's objects; undefined for a kind policyc knows nothing of (see unknownKindMessage). */
export function shapeOfKindRef(k: KindShapeSource): Shape | undefined {
  if (k.unchecked) return ANY;
  const apiVersion = k.group === "" ? k.version : `${k.group}/${k.version}`;
  if (k.schema) {
    // The schema declares what is particular to the kind; apiVersion, kind and metadata are standard.
    const own = shapeOfSchema(k.schema, k.kind);
    const meta: Record<string, Shape> = {
      apiVersion: { kind: "scalar", type: "string" },
      kind: { kind: "scalar", type: "string" },
      metadata: shapeOfFieldType("ObjectMeta"),
    };
    if (own.kind !== "object") return own;
    return {
      kind: "object",
      name: k.kind,
      fields: (f) => own.fields(f) ?? meta[f],
      names: () => [...new Set([...own.names(), ...Object.keys(meta)])],
    };
  }
  return shapeOfKind(apiVersion, k.kind);
}

export const unknownKindMessage = (k: KindShapeSource): string =>
  `${k.group === "" ? k.version : `${k.group}/${k.version}`} ${k.kind} is not a kind policyc knows the fields of: declare it with customKind({ apiVersion, kind, schema }) (or unchecked: true)`;
