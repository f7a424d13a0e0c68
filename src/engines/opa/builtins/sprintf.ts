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
    const f = v.float();
    // A number float64 cannot hold (1e400) reaches Go as its literal text.
    return Number.isFinite(f) ? { type: "float64", value: f } : { type: "string", value: v.text };
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
  /** %#v: Go syntax. */
  sharpV?: boolean;
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

/** strconv.FormatFloat(v, 'x', prec, 64): `0x1.8p+00`. */
function hexFloat(v: number, prec: number | undefined): string {
  const abs = Math.abs(v);
  if (abs === 0) return `0x0${prec ? "." + "0".repeat(prec) : ""}p+00`;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, abs);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) {
    // Subnormal: normalise so the leading digit is 1.
    exp = -1022;
    while (mant < 1n << 52n) {
      mant <<= 1n;
      exp--;
    }
    mant &= (1n << 52n) - 1n;
    exp++;
  } else exp -= 1023;
  let lead = 1n;
  let frac = mant.toString(16).padStart(13, "0");
  if (prec !== undefined && prec < 13) {
    // Round half to even on the hex digits dropped.
    const all = (1n << 52n) | mant;
    const shift = BigInt((13 - prec) * 4);
    let kept = all >> shift;
    const rest = all & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (kept & 1n) === 1n)) kept++;
    if (kept >> BigInt(prec * 4) >= 2n) {
      kept >>= 1n;
      exp++;
    }
    lead = kept >> BigInt(prec * 4);
    frac = prec === 0 ? "" : (kept & ((1n << BigInt(prec * 4)) - 1n)).toString(16).padStart(prec, "0");
  } else if (prec === undefined) frac = frac.replace(/0+$/, "");
  else frac = frac.padEnd(prec, "0");
  const e = Math.abs(exp).toString().padStart(2, "0");
  return `0x${lead}${frac ? "." + frac : ""}p${exp < 0 ? "-" : "+"}${e}`;
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
      case "x":
        body = (v < 0 ? "-" : "") + hexFloat(v, spec.prec);
        break;
      case "X":
        body = ((v < 0 ? "-" : "") + hexFloat(v, spec.prec)).toUpperCase();
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
  if (verb === "v" && spec.sharpV) return pad(goQuote(s), spec);
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

const CLEAR: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };

function formatArg(a: GoArg, verb: string, spec: Spec): string {
  if (verb === "T") return pad(a.type, spec);
  let out: string | undefined;
  if (a.type === "int") out = formatInteger(a.value, verb, spec);
  else if (a.type === "*big.Int")
    out = ["v", "d", "s", "b", "o", "O", "x", "X"].includes(verb) ? formatInteger(a.value, verb === "s" ? "d" : verb, spec) : undefined;
  else if (a.type === "float64") out = formatFloat(a.value, verb, spec);
  else out = formatString(a.value, verb, spec);
  // Go's badVerb prints the operand with %v under the same width, precision and flags.
  return out ?? `%!${verb}(${a.type}=${formatArg(a, "v", spec)})`;
}

/** A width or precision written in the format: at most 1e6, as Go's fmt takes it. */
function parseNum(chars: readonly string[], i: number): { n?: number; i: number } {
  let n = 0;
  let any = false;
  while (i < chars.length && /[0-9]/.test(chars[i]!)) {
    if (n > 1e6) return { i: chars.length }; // too large: Go gives up on the rest
    n = n * 10 + Number(chars[i++]);
    any = true;
  }
  return any ? { n, i } : { i };
}

/** OPA's sprintf(format, values): Go's doPrintf over the converted operands. */
export function sprintf(format: string, values: readonly RegoValue[]): string {
  const args = values.map(toGoArg);
  if (format === "%d" && args.length === 1 && args[0]!.type === "int") return String(args[0]!.value);
  let out = "";
  let argNum = 0;
  let reordered = false;
  const chars = runes(format);
  const end = chars.length;
  /** An explicit argument index `[n]` at i. */
  const argNumber = (i: number): { argNum: number; i: number; found: boolean; good: boolean } => {
    if (i >= end || chars[i] !== "[") return { argNum, i, found: false, good: true };
    reordered = true;
    for (let j = i + 1; j < end; j++) {
      if (chars[j] === "]") {
        const p = parseNum(chars, i + 1);
        if (p.n === undefined || p.i !== j) return { argNum, i: j + 1, found: false, good: false };
        const index = p.n - 1;
        if (index >= 0 && index < args.length) return { argNum: index, i: j + 1, found: true, good: true };
        return { argNum, i: j + 1, found: true, good: false };
      }
    }
    return { argNum, i: i + 1, found: false, good: false };
  };
  /** An int operand for `*`. */
  const intFromArg = (): number | undefined => {
    if (argNum >= args.length) return undefined;
    const a = args[argNum++]!;
    if (a.type !== "int") return undefined;
    const n = Number(a.value);
    return Math.abs(n) > 1e6 ? undefined : n;
  };
  for (let i = 0; i < end;) {
    const c = chars[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    let goodArgNum = true;
    const spec: Spec = { ...CLEAR };
    for (; i < end; i++) {
      const f = chars[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === "#") spec.sharp = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = true;
      else break;
    }
    let idx = argNumber(i);
    argNum = idx.argNum;
    i = idx.i;
    let afterIndex = idx.found;
    if (!idx.good) goodArgNum = false;
    if (i < end && chars[i] === "*") {
      i++;
      const w = intFromArg();
      if (w === undefined) out += "%!(BADWIDTH)";
      else {
        spec.width = Math.abs(w);
        if (w < 0) spec.minus = true;
      }
      afterIndex = false;
    } else {
      const p = parseNum(chars, i);
      i = p.i;
      if (p.n !== undefined) {
        spec.width = p.n;
        if (afterIndex) goodArgNum = false;
      }
    }
    if (i + 1 < end && chars[i] === ".") {
      i++;
      if (afterIndex) goodArgNum = false;
      idx = argNumber(i);
      argNum = idx.argNum;
      i = idx.i;
      afterIndex = idx.found;
      if (!idx.good) goodArgNum = false;
      if (i < end && chars[i] === "*") {
        i++;
        const p = intFromArg();
        if (p === undefined || p < 0) {
          if (p === undefined) out += "%!(BADPREC)";
        } else spec.prec = p;
        afterIndex = false;
      } else {
        const p = parseNum(chars, i);
        i = p.i;
        spec.prec = p.n ?? 0;
      }
    }
    if (!afterIndex) {
      idx = argNumber(i);
      argNum = idx.argNum;
      i = idx.i;
      if (!idx.good) goodArgNum = false;
    }
    if (spec.minus) spec.zero = false;
    if (i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = chars[i++]!;
    if (verb === "%") out += "%";
    else if (!goodArgNum) out += `%!${verb}(BADINDEX)`;
    else if (argNum >= args.length) out += `%!${verb}(MISSING)`;
    else {
      if (verb === "v") {
        spec.sharpV = spec.sharp;
        spec.sharp = false;
      }
      out += formatArg(args[argNum++]!, verb, spec);
    }
  }
  if (!reordered && argNum < args.length)
    out += `%!(EXTRA ${args
      .slice(argNum)
      .map((a) => `${a.type}=${formatArg(a, "v", CLEAR)}`)
      .join(", ")})`;
  return out;
}
