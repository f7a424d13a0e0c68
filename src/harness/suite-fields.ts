/**
 * Suite formats read field by field (the Kyverno CLI's test files, gator's suites): each field of a
 * format is read by policyc or refused by name, and a file holding a field of neither kind, or
 * one policyc cannot evaluate, is a located `invalid_suite` error naming it, never a test that
 * silently means something else.
 */
import type { Issue } from "../ir/index.js";
import { fieldIssue } from "./fixtures.js";

/**
 * What policyc does with a field: `true` reads it; `refused` says why it cannot; `object` and
 * `list` read a nested object (or a list of them) field by field; `free` holds any value (an
 * object's metadata, a resource, a response body).
 */
export type FieldRule = true | "free" | { readonly refused: string } | { readonly object: FieldTable } | { readonly list: FieldTable };
export type FieldTable = Readonly<Record<string, FieldRule>>;

/**
 * The first field of `value` the table does not read, located in `file` (its document `doc`):
 * unknown to the format, or refused. `at` is where `value` sits in the document.
 */
export function unreadField(
  value: unknown,
  table: FieldTable,
  o: {
    readonly file: string;
    readonly root: string;
    /** Whose format: "the Kyverno CLI's Test", "gator's Suite". */
    readonly what: string;
    readonly at?: readonly (string | number)[];
    readonly doc?: number;
  },
): Issue | undefined {
  const at = o.at ?? [];
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const bad = (path: readonly (string | number)[], message: string) =>
    fieldIssue(o.file, o.root, path, message, o.doc !== undefined ? { doc: o.doc } : {});
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const rule = table[key];
    const path = [...at, key];
    if (rule === undefined) {
      const known = Object.entries(table)
        .filter(([, r]) => typeof r !== "object" || !("refused" in r))
        .map(([k]) => k);
      return bad(path, `${key} is not a field of ${o.what} (it reads ${known.join(", ")})`);
    }
    if (typeof rule === "object" && "refused" in rule) return bad(path, `${key}: ${rule.refused}`);
    if (typeof rule === "object" && "object" in rule) {
      const inner = unreadField(field, rule.object, { ...o, at: path });
      if (inner) return inner;
    }
    if (typeof rule === "object" && "list" in rule && Array.isArray(field)) {
      for (const [i, item] of field.entries()) {
        const inner = unreadField(item, rule.list, { ...o, at: [...path, i] });
        if (inner) return inner;
      }
    }
  }
  return undefined;
}
