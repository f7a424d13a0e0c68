/**
 * The one way user strings enter CEL: a double-quoted CEL string literal. Backslash, quote and
 * every control or line-separator character are escaped, so no string can end the literal or
 * change the expression around it.
 */
export function celString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff || (cp >= 0x80 && cp < 0xa0)) {
      out += "\\u" + cp.toString(16).padStart(4, "0");
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      throw new Error("lone UTF-16 surrogate in a string: it has no UTF-8 encoding");
    } else out += ch;
  }
  return out + '"';
}

/**
 * A JSON value (an inlined parameter) as a CEL literal. Kubernetes CEL requires homogeneous
 * list and map literals (HomogeneousAggregateLiterals): numbers mixing integers and fractions are
 * printed as doubles, and elements of different kinds (or nested lists and maps, whose element
 * types may differ) are wrapped in dyn().
 */
export function celValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return celString(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return celNumber(v, Number.isInteger(v));
  if (Array.isArray(v)) {
    const allInts = v.every((x) => typeof x !== "number" || Number.isInteger(x));
    const items = v.map((x) => (typeof x === "number" ? celNumber(x, allInts) : celValue(x)));
    return `[${homogeneous(v) ? items.join(", ") : items.map((x) => `dyn(${x})`).join(", ")}]`;
  }
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const values = entries.map(([, x]) => x);
    const allInts = values.every((x) => typeof x !== "number" || Number.isInteger(x));
    const same = homogeneous(values);
    const text = (x: unknown) => {
      const t = typeof x === "number" ? celNumber(x, allInts) : celValue(x);
      return same ? t : `dyn(${t})`;
    };
    return `{${entries.map(([k, x]) => `${celString(k)}: ${text(x)}`).join(", ")}}`;
  }
  throw new Error(`cannot write ${typeof v} as CEL`);
}

/** Whether literal elements share one CEL type: all strings, all numbers, or all booleans. */
function homogeneous(items: readonly unknown[]): boolean {
  if (items.length <= 1) return items.every((x) => x !== null && x !== undefined) || items.length === 0;
  const kinds = new Set(items.map((x) => (x === null || x === undefined ? "null" : Array.isArray(x) ? "list" : typeof x)));
  return kinds.size === 1 && !kinds.has("list") && !kinds.has("object") && !kinds.has("null");
}

function celNumber(n: number, asInt: boolean): string {
  if (!Number.isFinite(n)) throw new Error(`cannot write ${n} as CEL`);
  if (asInt && Number.isSafeInteger(n)) return String(n);
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** CEL reserved words cannot be selected with `.name`; they are read with an index instead. */
export const CEL_RESERVED_WORDS: ReadonlySet<string> = new Set([
  "true",
  "false",
  "null",
  "in",
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
  "void",
  "while",
]);

/** Optional selection of one path segment: `.?name` or `[?"odd/key"]`. */
export function celOptionalSelect(segment: string): string {
  return IDENT.test(segment) && !CEL_RESERVED_WORDS.has(segment) ? `.?${segment}` : `[?${celString(segment)}]`;
}
