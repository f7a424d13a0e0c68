/**
 * OPA's `sprintf`: Go's fmt.Sprintf applied to operands converted as OPA's topdown does
 * (builtinSprintf): integral numbers become Go ints (or *big.Int when they overflow int64),
 * other numbers float64, strings Go strings, and every other value its Rego text (ast String()).
 * Written from the Go fmt documentation and checked against OPA's interpreter by the tests.
 */
import { RegoNumber, goQuote, regoString, type RegoValue } from "./value.js";

type GoArg =
  | { readonly type: "int"; readonly value: bigint }
  | { readonly type: "*big.Int"; readonly value: bigint }
  | { readonly type: "float64"; readonly value: number }
  | { readonly type: "string"; readonly value: string };

function toGoArg(v: RegoValue): GoArg {
  if (v instanceof RegoNumber) {
    const i = v.int();
    if (i !== undefined) return { type: "int", value: i };
    const b = v.bigint();
    if (b !== undefined) return { type: "*big.Int", value: b };
    return { type: "float64", value: v.float() };
  }
  if (typeof v === "string") return { type: "string", value: v };
  return { type: "string", value: regoString(v) };
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

const runes = (s: string) => [...s];

function pad(s: string, spec: Spec, zeroOk = true): string {
  const w = spec.width ?? 0;
  const n = runes(s).length;
  if (n >= w) return s;
  if (spec.minus) return s + " ".repeat(w - n);
  if (spec.zero && zeroOk) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : "";
    return sign + "0".repeat(w - n) + s.slice(sign.length);
  }
  return " ".repeat(w - n) + s;
}

function signed(digits: string, negative: boolean, spec: Spec): string {
  return (negative ? "-" : spec.plus ? "+" : spec.space ? " " : "") + digits;
}

function formatInteger(value: bigint, verb: string, spec: Spec): string | undefined {
  const neg = value < 0n;
  const abs = neg ? -value : value;
  let digits: string;
  let prefix = "";
  switch (verb) {
    case "v":
    case "d":
      digits = abs.toString(10);
      break;
    case "b":
      digits = abs.toString(2);
      if (spec.sharp) prefix = "0b";
      break;
    case "o":
      digits = abs.toString(8);
      if (spec.sharp) prefix = "0";
      break;
    case "O":
      digits = abs.toString(8);
      prefix = "0o";
      break;
    case "x":
      digits = abs.toString(16);
      if (spec.sharp) prefix = "0x";
      break;
    case "X":
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) prefix = "0X";
      break;
    case "c":
      return pad(String.fromCodePoint(validRune(value)), spec, false);
    case "q":
      return pad(quoteRune(validRune(value), spec), spec, false);
    case "U": {
      const r = value < 0n || value > 0x10ffffn ? 0xfffdn : value;
      const hex = r.toString(16).toUpperCase().padStart(4, "0");
      return pad(spec.sharp && value <= 0x10ffffn ? `U+${hex} '${String.fromCodePoint(Number(r))}'` : `U+${hex}`, spec, false);
    }
    default:
      return undefined;
  }
  if (spec.prec !== undefined) {
    digits = spec.prec === 0 && abs === 0n ? "" : digits.padStart(spec.prec, "0");
    return pad(signed(prefix + digits, neg, spec), { ...spec, zero: false });
  }
  const body = signed(prefix + digits, neg, spec);
  if (spec.zero && !spec.minus && spec.width !== undefined) {
    const sign = /^[+\- ]/.test(body) ? body[0]! : "";
    const rest = body.slice(sign.length);
    const fill = spec.width - body.length;
    return fill > 0 ? sign + (prefix ? prefix + "0".repeat(fill) + digits : "0".repeat(fill) + rest) : body;
  }
  return pad(body, spec);
}

function validRune(v: bigint): number {
  return v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn) ? 0xfffd : Number(v);
}

function quoteRune(cp: number, spec: Spec): string {
  const ch = String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  const q = goQuote(ch);
  return `'${spec.plus && cp >= 0x80 ? (cp < 0x10000 ? "\\u" + cp.toString(16).padStart(4, "0") : "\\U" + cp.toString(16).padStart(8, "0")) : q.slice(1, -1)}'`;
}

/** strconv.FormatFloat(v, fmt, prec, 64) for the formats fmt uses. */
function formatFloatDigits(v: number, verb: "e" | "f" | "g", prec: number | undefined, sharp: boolean): string {
  if (verb === "f") return v.toFixed(prec ?? 6);
  if (verb === "e") return goExponent(v.toExponential(prec ?? 6));
  // %g: shortest representation unless a precision is given.
  const shortest = prec === undefined;
  const p = prec === 0 ? 1 : prec;
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(Number(v.toExponential(shortest ? undefined : p! - 1)))));
  let digits: number;
  if (shortest) {
    const mantissa = v.toExponential().split("e")[0]!.replace("-", "").replace(".", "");
    digits = mantissa.length;
  } else digits = p!;
  let eprec = shortest ? 6 : p!;
  if (!shortest && eprec > digits) eprec = digits;
  if (exp < -4 || exp >= eprec) {
    const s = shortest ? v.toExponential() : v.toExponential(p! - 1);
    return goExponent(sharp ? s : trimZerosExp(s, shortest));
  }
  const decimals = Math.max(digits - exp - 1, 0);
  const s = v.toFixed(decimals);
  return shortest || sharp ? s : trimZeros(s);
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}
function trimZerosExp(s: string, shortest: boolean): string {
  if (shortest) return s;
  const [m, e] = s.split("e");
  return `${trimZeros(m!)}e${e}`;
}
function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

function formatFloat(v: number, verb: string, spec: Spec): string | undefined {
  let body: string;
  if (!Number.isFinite(v)) body = Number.isNaN(v) ? "NaN" : v > 0 ? (spec.plus ? "+Inf" : "+Inf") : "-Inf";
  else
    switch (verb) {
      case "v":
      case "g":
        body = formatFloatDigits(v, "g", spec.prec, spec.sharp);
        break;
      case "G":
        body = formatFloatDigits(v, "g", spec.prec, spec.sharp).toUpperCase();
        break;
      case "e":
        body = formatFloatDigits(v, "e", spec.prec, spec.sharp);
        break;
      case "E":
        body = formatFloatDigits(v, "e", spec.prec, spec.sharp).toUpperCase();
        break;
      case "f":
      case "F":
        body = formatFloatDigits(v, "f", spec.prec, spec.sharp);
        break;
      default:
        return undefined;
    }
  if (Number.isFinite(v)) {
    if (Object.is(v, -0)) body = "-" + body.replace(/^-/, "");
    if (!body.startsWith("-")) body = (spec.plus ? "+" : spec.space ? " " : "") + body;
  } else if (body === "+Inf" && !spec.plus) body = spec.space ? " Inf" : "+Inf";
  return pad(body, spec, Number.isFinite(v));
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case "v":
    case "s":
      return pad(spec.prec !== undefined ? runes(s).slice(0, spec.prec).join("") : s, spec);
    case "q": {
      const t = spec.prec !== undefined ? runes(s).slice(0, spec.prec).join("") : s;
      // Go's %#q: a raw (backquoted) string unless the text holds a backquote or a control character.
      // eslint-disable-next-line no-control-regex
      if (spec.sharp && !/[`\u0000-\u0008\u000a-\u001f\u007f]/.test(t)) return pad("`" + t + "`", spec);
      let q = goQuote(t);
      if (spec.plus)
        // Everything outside ASCII is escaped by %+q.
        // eslint-disable-next-line no-control-regex
        q = q.replace(/[^\x00-\x7f]/gu, (c) => {
          const cp = c.codePointAt(0)!;
          return cp < 0x10000 ? "\\u" + cp.toString(16).padStart(4, "0") : "\\U" + cp.toString(16).padStart(8, "0");
        });
      return pad(q, spec);
    }
    case "x":
    case "X": {
      let bytes = [...new TextEncoder().encode(s)];
      if (spec.prec !== undefined) bytes = bytes.slice(0, spec.prec);
      let hex = bytes.map((b) => (spec.sharp ? "0x" : "") + b.toString(16).padStart(2, "0")).join(spec.space ? " " : "");
      if (verb === "X") hex = hex.toUpperCase();
      return pad(hex, spec);
    }
    default:
      return undefined;
  }
}

function argText(a: GoArg): string {
  if (a.type === "float64") return formatFloat(a.value, "g", { minus: false, plus: false, sharp: false, space: false, zero: false })!;
  return String(a.value);
}

function formatArg(a: GoArg, verb: string, spec: Spec): string {
  if (verb === "T") return pad(a.type, spec);
  let out: string | undefined;
  if (a.type === "int") out = formatInteger(a.value, verb, spec);
  else if (a.type === "*big.Int")
    out = ["v", "d", "s", "b", "o", "O", "x", "X"].includes(verb) ? formatInteger(a.value, verb === "s" ? "d" : verb, spec) : undefined;
  else if (a.type === "float64") out = formatFloat(a.value, verb, spec);
  else out = formatString(a.value, verb, spec);
  return out ?? `%!${verb}(${a.type === "*big.Int" ? "*big.Int" : a.type}=${argText(a)})`;
}

/** OPA's sprintf(format, values). */
export function sprintf(format: string, values: readonly RegoValue[]): string {
  const args = values.map(toGoArg);
  if (format === "%d" && args.length === 1 && args[0]!.type === "int") return String(args[0]!.value);
  let out = "";
  let argi = 0;
  const chars = runes(format);
  for (let i = 0; i < chars.length;) {
    const c = chars[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < chars.length; i++) {
      const f = chars[i];
      if (f === "-") {
        spec.minus = true;
        spec.zero = false;
      } else if (f === "+") spec.plus = true;
      else if (f === "#") spec.sharp = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = !spec.minus;
      else break;
    }
    let w = "";
    while (i < chars.length && /\d/.test(chars[i]!)) w += chars[i++];
    if (w) spec.width = Number(w);
    if (chars[i] === ".") {
      i++;
      let p = "";
      while (i < chars.length && /\d/.test(chars[i]!)) p += chars[i++];
      spec.prec = p ? Number(p) : 0;
    }
    if (i >= chars.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = chars[i++]!;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argi++]!, verb, spec);
  }
  if (argi < args.length)
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${a.type}=${argText(a)}`)
      .join(", ")})`;
  return out;
}
