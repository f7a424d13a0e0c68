/**
 * Host implementations of the builtins OPA's Wasm target leaves to the SDK. Each follows the
 * OPA builtin it names (topdown/*.go in OPA's sources) and is compared with OPA's interpreter by
 * test/engines/opa-builtins.test.ts. A builtin not listed here fails policy loading with its name.
 */
import { findAll, replaceAll, split } from "./regex.js";
import { sprintf } from "./sprintf.js";
import { goYamlMarshal, goYamlUnmarshal, goYamlValid } from "./yaml.js";
import { RegoNumber, RegoObject, RegoSet, fromPlain, num, toPlain, typeName, type RegoValue } from "./value.js";

export { parseRegoValue, regoLiteral, regoString, type RegoValue } from "./value.js";

/** A builtin's operands were of the wrong type or out of range: the call is undefined (or an error in strict mode). */
export class BuiltinError extends Error {}

type Impl = (...args: RegoValue[]) => RegoValue;

/** A regex builtin: a pattern Go's regexp refuses is a builtin error (undefined, as in OPA), not a failed evaluation. */
function regex<T extends RegoValue>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    throw new BuiltinError((e as Error).message);
  }
}

const str = (v: RegoValue, pos: number): string => {
  if (typeof v !== "string") throw new BuiltinError(`operand ${pos} must be string but got ${typeName(v)}`);
  return v;
};
const int = (v: RegoValue, pos: number): number => {
  const n = v instanceof RegoNumber ? v.int() : undefined;
  if (n === undefined) throw new BuiltinError(`operand ${pos} must be an integer`);
  return Number(n);
};
const strings = (v: RegoValue, pos: number): string[] => {
  if (typeof v === "string") return [v];
  const items = Array.isArray(v) ? v : v instanceof RegoSet ? v.items : undefined;
  if (!items) throw new BuiltinError(`operand ${pos} must be one of {string, set, array} but got ${typeName(v)}`);
  return items.map((x) => str(x, pos));
};

const SI: Record<string, number> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, g: 1e9, T: 1e12, t: 1e12, P: 1e15, p: 1e15, E: 1e18, e: 1e18 };
const IEC: Record<string, number> = { ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40, pi: 2 ** 50, ei: 2 ** 60 };

/**
 * The amount and the unit of a units string, as OPA's extractNumAndUnit splits them: digits, dots,
 * signs and an exponent (`e` followed by a digit or a sign) belong to the amount.
 */
function splitAmount(s: string): [string, string] {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "e" || c === "E") {
      const next = s[i + 1];
      if (next === undefined || !/[0-9+-]/.test(next)) return [s.slice(0, i), s.slice(i)];
      if (next === "+" || next === "-") i++;
      continue;
    }
    if (!/[0-9.+-]/.test(c)) return [s.slice(0, i), s.slice(i)];
  }
  return [s, ""];
}

/** A decimal amount as Go's big.Rat SetString reads it (sign, digits, fraction, exponent). */
function amountValue(amount: string): number | undefined {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(amount) ? Number(amount) : undefined;
}

function unitsParse(raw: string): RegoValue {
  const s = raw.replaceAll('"', "");
  if (s.includes(" ")) throw new BuiltinError("spaces not allowed in resource strings");
  const [amount, unit0] = splitAmount(s);
  if (!amount) throw new BuiltinError("no amount provided");
  const unit = unit0.length > 1 ? unit0[0] + unit0.slice(1).toLowerCase() : unit0;
  const factor = unit === "m" ? 1e-3 : (SI[unit] ?? IEC[unit.toLowerCase()]);
  if (factor === undefined || (unit.length === 2 && !/^[kKmMgGtTpPeE]i$/.test(unit))) throw new BuiltinError("unknown unit");
  const n = amountValue(amount);
  if (n === undefined) throw new BuiltinError("could not parse amount to a number");
  const value = n * factor;
  if (!Number.isFinite(value)) throw new BuiltinError("could not parse amount to a number");
  return num(value);
}

function unitsParseBytes(raw: string): RegoValue {
  const s = raw.replaceAll('"', "").toLowerCase();
  if (s.includes(" ")) throw new BuiltinError("spaces not allowed in resource strings");
  const [amount, unit] = splitAmount(s);
  if (!amount) throw new BuiltinError("no byte amount provided");
  const table: Record<string, number> = {
    "": 1,
    kb: 1e3,
    k: 1e3,
    kib: 2 ** 10,
    ki: 2 ** 10,
    mb: 1e6,
    m: 1e6,
    mib: 2 ** 20,
    mi: 2 ** 20,
    gb: 1e9,
    g: 1e9,
    gib: 2 ** 30,
    gi: 2 ** 30,
    tb: 1e12,
    t: 1e12,
    tib: 2 ** 40,
    ti: 2 ** 40,
    pb: 1e15,
    p: 1e15,
    pib: 2 ** 50,
    pi: 2 ** 50,
    eb: 1e18,
    e: 1e18,
    eib: 2 ** 60,
    ei: 2 ** 60,
  };
  const factor = table[unit];
  if (factor === undefined) throw new BuiltinError("byte unit not recognized");
  const n = amountValue(amount);
  if (n === undefined) throw new BuiltinError("could not parse byte amount to a number");
  const value = n * factor;
  if (!Number.isFinite(value)) throw new BuiltinError("could not parse byte amount to a number");
  // OPA returns an integer (the amount is rounded toward zero by big.Int conversion).
  return num(BigInt(Math.trunc(value)));
}

export const HOST_BUILTINS: Readonly<Record<string, Impl>> = {
  sprintf: (format, values) => {
    if (!Array.isArray(values)) throw new BuiltinError(`operand 2 must be array but got ${typeName(values)}`);
    return sprintf(str(format, 1), values);
  },
  "strings.any_prefix_match": (search, base) => {
    const a = strings(search, 1);
    const b = strings(base, 2);
    return a.some((s) => b.some((p) => s.startsWith(p)));
  },
  "strings.any_suffix_match": (search, base) => {
    const a = strings(search, 1);
    const b = strings(base, 2);
    return a.some((s) => b.some((p) => s.endsWith(p)));
  },
  "strings.count": (s, sub) => {
    const base = str(s, 1);
    const search = str(sub, 2);
    if (search === "") return num([...base].length + 1);
    return num(base.split(search).length - 1);
  },
  indexof_n: (s, sub) => {
    const base = [...str(s, 1)];
    const search = [...str(sub, 2)];
    if (search.length === 0) throw new BuiltinError("empty search character");
    const out: RegoValue[] = [];
    for (let i = 0; i + search.length <= base.length; i++) if (search.every((c, k) => base[i + k] === c)) out.push(num(i));
    return out;
  },
  "regex.split": (pattern, s) => regex(() => split(str(pattern, 1), str(s, 2))),
  "regex.find_n": (pattern, s, n) => regex(() => findAll(str(pattern, 1), str(s, 2), int(n, 3))),
  "regex.replace": (s, pattern, value) => regex(() => replaceAll(str(s, 1), str(pattern, 2), str(value, 3))),
  "units.parse": (s) => unitsParse(str(s, 1)),
  "units.parse_bytes": (s) => unitsParseBytes(str(s, 1)),
  "yaml.marshal": (v) => goYamlMarshal(toPlain(v)),
  "yaml.unmarshal": (s) => {
    try {
      return fromPlain(goYamlUnmarshal(str(s, 1)));
    } catch (error) {
      if (error instanceof BuiltinError) throw error;
      throw new BuiltinError(`yaml: ${(error as Error).message}`);
    }
  },
  "yaml.is_valid": (s) => typeof s === "string" && goYamlValid(s),
  trace: (note) => (str(note, 1), true),
  "time.now_ns": () => num(BigInt(Date.now()) * 1_000_000n),
  "opa.runtime": () => new RegoObject([]),
};
