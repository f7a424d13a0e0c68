/**
 * The one way user strings enter Rego: a double-quoted Rego string. Rego string escapes are
 * JSON's, so JSON.stringify escapes quotes, backslashes and control characters; DEL, C1 controls,
 * the line separators and the byte-order mark (which OPA's parser refuses inside a module) are
 * escaped too. Lone surrogates, which have no UTF-8 encoding, are refused rather than replaced.
 */
export function regoString(s: string): string {
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) {
    throw new Error("lone UTF-16 surrogate in a string: it has no UTF-8 encoding");
  }
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A JSON value as a Rego term (numbers, strings, booleans, arrays and objects are JSON in Rego). */
export function regoValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return regoString(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} in Rego`);
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(regoValue).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${regoString(k)}: ${regoValue(x)}`).join(", ")}}`;
  }
  throw new Error(`cannot write ${typeof v} in Rego`);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Rego's keywords: never a variable name, and read with an index when they name a field. */
export const REGO_KEYWORDS: ReadonlySet<string> = new Set([
  "as",
  "default",
  "else",
  "false",
  "import",
  "package",
  "not",
  "null",
  "true",
  "with",
  "some",
  "in",
  "every",
  "contains",
  "if",
]);

/** One reference segment: `.name` for identifiers, `["odd/key"]` otherwise. */
export function regoSelect(segment: string): string {
  return IDENT.test(segment) && !REGO_KEYWORDS.has(segment) ? `.${segment}` : `[${regoString(segment)}]`;
}
