import type { FieldRef, KeySegment, ListSource, ParamRef, Value } from "./types.js";

/** Anything that holds values: a value, a list source, or a key segment. */
export type ValueNode = Value | ListSource | KeySegment;

/** The values a node is computed from (its direct children). */
export function valueChildren(v: ValueNode): readonly ValueNode[] {
  switch (v.kind) {
    case "field":
      return v.path.filter((s): s is KeySegment => typeof s !== "string");
    case "key":
      return [v.key];
    case "literal":
    case "param":
      return [];
    case "image":
    case "case":
    case "split":
    case "keys":
      return [v.of];
    case "concat":
      return v.items;
    case "join":
      return [v.list];
    case "lookup":
      return [...(v.namespace ? [v.namespace] : []), ...(v.name ? [v.name] : []), ...(v.labels ?? []).map((l) => l.value)];
  }
}

/** Every field reference a value reads, its own and those of its keys and parts. */
export function fieldsIn(v: ValueNode): FieldRef[] {
  const own = v.kind === "field" ? [v] : [];
  return [...own, ...valueChildren(v).flatMap(fieldsIn)];
}

/** Every parameter a value reads. */
export function paramsIn(v: ValueNode): ParamRef[] {
  const own = v.kind === "param" ? [v] : [];
  return [...own, ...valueChildren(v).flatMap(paramsIn)];
}

/** The names of the static segments of a path (dynamic keys as `[…]`), for messages and debug output. */
export function pathText(path: FieldRef["path"]): string {
  return path.map((s) => (typeof s === "string" ? s : "[…]")).join(".");
}

/** The last static segment of a path, if it ends in one. */
export function lastSegment(path: FieldRef["path"]): string | undefined {
  const last = path.at(-1);
  return typeof last === "string" ? last : undefined;
}
