/**
 * Rego values as the Wasm runtime hands them to host builtins (`opa_value_dump` text), kept
 * typed: sets stay sets and numbers keep their text, which JSON would lose.
 */
export type RegoValue = null | boolean | string | RegoNumber | RegoValue[] | RegoSet | RegoObject;

export class RegoNumber {
  constructor(readonly text: string) {}
  /** The value as a Go int64 would hold it, when the text is an integer literal in range. */
  int(): bigint | undefined {
    if (!/^-?\d+$/.test(this.text)) return undefined;
    const n = BigInt(this.text);
    return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
  }
  /** The value as an arbitrary-size integer, when the text is an integer literal. */
  bigint(): bigint | undefined {
    return /^[-+]?\d+$/.test(this.text) ? BigInt(this.text) : undefined;
  }
  float(): number {
    return Number(this.text);
  }
}

export class RegoSet {
  constructor(readonly items: readonly RegoValue[]) {}
}

export class RegoObject {
  constructor(readonly entries: readonly (readonly [RegoValue, RegoValue])[]) {}
  get(key: string): RegoValue | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
}

export const num = (n: number | bigint): RegoNumber => new RegoNumber(String(n));

/** Parses `opa_value_dump` output: JSON plus sets (`{a, b}`, `set()`) and non-string object keys. */
export function parseRegoValue(text: string): RegoValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`cannot read a Rego value: ${what} at offset ${i} of ${JSON.stringify(text.slice(0, 200))}`);
  };
  const value = (): RegoValue => {
    ws();
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    if (c === "[") {
      i++;
      const items: RegoValue[] = [];
      ws();
      if (text[i] === "]") return (i++, items);
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return (i++, items);
        else fail("expected , or ]");
      }
    }
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return (i++, new RegoObject([]));
      const first = value();
      ws();
      if (text[i] === ":") {
        i++;
        const entries: [RegoValue, RegoValue][] = [[first, value()]];
        for (;;) {
          ws();
          if (text[i] === "}") return (i++, new RegoObject(entries));
          if (text[i] !== ",") fail("expected , or }");
          i++;
          const k = value();
          ws();
          if (text[i] !== ":") fail("expected :");
          i++;
          entries.push([k, value()]);
        }
      }
      const items: RegoValue[] = [first];
      for (;;) {
        ws();
        if (text[i] === "}") return (i++, new RegoSet(items));
        if (text[i] !== ",") fail("expected , or }");
        i++;
        items.push(value());
      }
    }
    if (text.startsWith("set()", i)) return ((i += 5), new RegoSet([]));
    if (text.startsWith("null", i)) return ((i += 4), null);
    if (text.startsWith("true", i)) return ((i += 4), true);
    if (text.startsWith("false", i)) return ((i += 5), false);
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("unexpected character");
    i += m[0].length;
    return new RegoNumber(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) fail("trailing text");
  return v;
}

const TYPE_ORDER = (v: RegoValue): number =>
  v === null
    ? 0
    : typeof v === "boolean"
      ? 1
      : v instanceof RegoNumber
        ? 2
        : typeof v === "string"
          ? 3
          : Array.isArray(v)
            ? 4
            : v instanceof RegoObject
              ? 5
              : 6;

function compareNumbers(a: RegoNumber, b: RegoNumber): number {
  const ai = a.bigint();
  const bi = b.bigint();
  if (ai !== undefined && bi !== undefined) return ai < bi ? -1 : ai > bi ? 1 : 0;
  const d = a.float() - b.float();
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

const utf8 = new TextEncoder();
function compareStrings(a: string, b: string): number {
  // Go compares strings bytewise (UTF-8), not by UTF-16 code units.
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
  return x.length - y.length;
}

/** OPA's total order on values (ast.Compare): null < booleans < numbers < strings < arrays < objects < sets. */
export function compareRego(a: RegoValue, b: RegoValue): number {
  const ta = TYPE_ORDER(a);
  const tb = TYPE_ORDER(b);
  if (ta !== tb) return ta - tb;
  if (a === null) return 0;
  if (typeof a === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (a instanceof RegoNumber) return compareNumbers(a, b as RegoNumber);
  if (typeof a === "string") return compareStrings(a, b as string);
  if (Array.isArray(a)) return compareLists(a, b as RegoValue[]);
  if (a instanceof RegoObject) {
    const ea = sortedEntries(a);
    const eb = sortedEntries(b as RegoObject);
    for (let k = 0; k < Math.min(ea.length, eb.length); k++) {
      const c = compareRego(ea[k]![0], eb[k]![0]) || compareRego(ea[k]![1], eb[k]![1]);
      if (c) return c;
    }
    return ea.length - eb.length;
  }
  return compareLists(sortedItems(a as RegoSet), sortedItems(b as RegoSet));
}

function compareLists(a: readonly RegoValue[], b: readonly RegoValue[]): number {
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    const c = compareRego(a[k]!, b[k]!);
    if (c) return c;
  }
  return a.length - b.length;
}

export const sortedItems = (s: RegoSet): RegoValue[] => [...s.items].sort(compareRego);
export const sortedEntries = (o: RegoObject): (readonly [RegoValue, RegoValue])[] => [...o.entries].sort((x, y) => compareRego(x[0], y[0]));

/** Go's strconv.Quote: printable runes as themselves, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\v") out += "\\v";
    else if (cp < 0x80) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
    else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += ch;
    else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += "\\U" + cp.toString(16).padStart(8, "0");
  }
  return out + '"';
}

/** A value in Rego syntax as OPA's Go code prints it (ast.Value.String): sorted sets and objects. */
export function regoString(v: RegoValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return goQuote(v);
  if (v instanceof RegoNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(regoString).join(", ")}]`;
  if (v instanceof RegoObject)
    return `{${sortedEntries(v)
      .map(([k, x]) => `${regoString(k)}: ${regoString(x)}`)
      .join(", ")}}`;
  return v.items.length ? `{${sortedItems(v).map(regoString).join(", ")}}` : "set()";
}

/** A value as `opa_value_parse` reads it back: JSON syntax plus sets. */
export function regoLiteral(v: RegoValue): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(regoLiteral).join(",")}]`;
  if (v instanceof RegoObject) return `{${v.entries.map(([k, x]) => `${regoLiteral(k)}:${regoLiteral(x)}`).join(",")}}`;
  if (v instanceof RegoSet) return v.items.length ? `{${v.items.map(regoLiteral).join(",")}}` : "set()";
  return regoString(v);
}

/** Plain JSON-like view (sets as arrays), for builtins that only need data. */
export function toPlain(v: RegoValue): unknown {
  if (v instanceof RegoNumber) return v.float();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof RegoSet) return sortedItems(v).map(toPlain);
  if (v instanceof RegoObject)
    return Object.fromEntries(v.entries.map(([k, x]) => [typeof k === "string" ? k : regoString(k), toPlain(x)]));
  return v;
}

/** The reverse of toPlain, for builtins that return data. */
export function fromPlain(v: unknown): RegoValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return num(v);
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v instanceof RegoNumber || v instanceof RegoSet || v instanceof RegoObject) return v;
  return new RegoObject(Object.entries(v as object).map(([k, x]) => [k, fromPlain(x)] as const));
}

export const typeName = (v: RegoValue): string =>
  v === null
    ? "null"
    : typeof v === "boolean"
      ? "boolean"
      : typeof v === "string"
        ? "string"
        : v instanceof RegoNumber
          ? "number"
          : Array.isArray(v)
            ? "array"
            : v instanceof RegoObject
              ? "object"
              : "set";
