/**
 * OPA's `yaml.unmarshal` and `yaml.marshal` read and write YAML as Go's YAML library (yaml.v2,
 * behind sigs.k8s.io/yaml) does: YAML 1.1 scalars (`yes`, `on`, `y` are booleans, also as keys),
 * merge keys applied, duplicate keys (the last wins), the first document of a stream, `!!binary`
 * decoded; and on output sorted keys, strings quoted only when a YAML 1.1 reader would take them
 * for something else (double quotes) or when plain style cannot hold them (single quotes), block
 * literals for multi-line strings. Written from Go's yaml.v2 documentation and checked against
 * OPA's interpreter by test/engines/opa-builtins.test.ts.
 */
import { parseAllDocuments } from "yaml";

/** YAML 1.1's tags but timestamps, which Go's YAML leaves as the strings they are when decoding into plain data. */
const OPTIONS = {
  version: "1.1",
  merge: true,
  uniqueKeys: false,
  prettyErrors: false,
  customTags: (tags: Tags) => tags.filter((t) => (t as { tag?: string }).tag !== "tag:yaml.org,2002:timestamp"),
} as const;
type Tags = Parameters<Extract<NonNullable<Parameters<typeof parseAllDocuments>[1]>["customTags"], (t: never) => unknown>>[0];

/** The plain value Go's YAML decodes from `text` (its first document); throws on a YAML error. */
export function goYamlUnmarshal(text: string): unknown {
  const docs = parseAllDocuments(text, OPTIONS);
  if (!Array.isArray(docs)) throw new Error("not a YAML stream");
  const first = docs[0];
  if (!first) return null;
  if (first.errors.length) throw new Error(first.errors[0]!.message);
  return plain(first.toJS({ maxAliasCount: 1000 }));
}

/** Whether Go's YAML reads `text` without error (every document). */
export function goYamlValid(text: string): boolean {
  try {
    const docs = parseAllDocuments(text, OPTIONS);
    return Array.isArray(docs) && docs.every((d) => d.errors.length === 0);
  } catch {
    return false;
  }
}

/** Decoded data as JSON-like values: `!!binary` bytes as the string they spell. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v ?? null;
}

/** Strings a YAML 1.1 reader takes for something else: Go's yaml.v2 double-quotes them. */
const BOOL = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL = /^(~|null|Null|NULL|)$/;
const INT = /^[-+]?(0b[01_]+|0[0-7_]+|(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$/;
const FLOAT =
  /^([-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;
/** Go's resolver also reads plain exponent forms without a dot as floats. */
const EXP = /^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$/;

const resolvesToNonString = (s: string) => BOOL.test(s) || NULL.test(s) || INT.test(s) || FLOAT.test(s) || EXP.test(s);

/** Whether libyaml's emitter may write `s` as a plain scalar (its analyze_scalar, in short). */
function plainAllowed(s: string): boolean {
  if (s.length === 0) return false;
  if (/^[\s]|[\s]$/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !(/^[-?:][^\s]/.test(s) && s.length > 1)) return false;
  // eslint-disable-next-line no-control-regex -- control characters rule plain style out
  if (/: |:$| #|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) return false;
  return true;
}

function quoteDouble(s: string): string {
  return JSON.stringify(s);
}

function quoteSingle(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A scalar's lines: one, or a block literal's header and its lines (indented by the caller). */
function scalar(v: unknown): string[] {
  if (v === null || v === undefined) return ["null"];
  if (typeof v === "boolean") return [String(v)];
  if (typeof v === "number") return [goFloat(v)];
  const s = String(v);
  if (s.includes("\n")) {
    const keep = s.endsWith("\n") ? (s.endsWith("\n\n") ? "|+" : "|") : "|-";
    return [keep, ...s.replace(/\n$/, "").split("\n")];
  }
  if (resolvesToNonString(s)) return [quoteDouble(s)];
  if (plainAllowed(s)) return [s];
  // eslint-disable-next-line no-control-regex -- control characters need double quotes
  return [/[\u0000-\u001f\u007f]/.test(s) ? quoteDouble(s) : quoteSingle(s)];
}

/** strconv.FormatFloat(f, 'g', -1, 64), as Go's YAML writes a JSON number. */
function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const e = n.toExponential();
  const [m, x] = e.split("e");
  const exp = Number(x);
  if (exp < -4 || exp >= 21) return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(n);
}

/** Go's yaml.v2 key order: strings compared as natural text, numbers by value. */
function keyLess(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);
}

const nonEmpty = (v: unknown) => v !== null && typeof v === "object" && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
const indented = (lines: readonly string[]) => lines.map((l) => (l ? `  ${l}` : l));

/** A value as yaml.v2 writes it at indentation 0: block sequences and mappings, sequences in a mapping not indented. */
function block(v: unknown): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return ["[]"];
    return v.flatMap((item) => {
      const lines = nonEmpty(item) ? block(item) : scalar(item);
      return [`- ${lines[0]}`, ...indented(lines.slice(1))];
    });
  }
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => keyLess(a, b));
    if (entries.length === 0) return ["{}"];
    return entries.flatMap(([k, x]) => {
      const key = scalar(k)[0]!;
      if (Array.isArray(x) && x.length > 0) return [`${key}:`, ...block(x)];
      if (nonEmpty(x)) return [`${key}:`, ...indented(block(x))];
      const lines = scalar(x);
      return [`${key}: ${lines[0]}`, ...indented(lines.slice(1))];
    });
  }
  return scalar(v);
}

/** Go's sigs.k8s.io/yaml Marshal of a JSON-like value. */
export function goYamlMarshal(v: unknown): string {
  return block(v).join("\n") + "\n";
}
