import { isQuantity } from "./regex.js";

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** An exact quantity value: numerator / denominator. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/**
 * Parses a Kubernetes quantity exactly (as resource.Quantity does), for the reference
 * evaluator and for comparing literals. Plain numbers are accepted as JSON gives them.
 */
export function parseQuantity(v: unknown): Rational | undefined {
  let s: string;
  if (typeof v === "number" && Number.isFinite(v)) s = String(v);
  else if (typeof v === "string" && isQuantity(v)) s = v;
  else return undefined;
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/.exec(s);
  if (!m) return undefined;
  const [, sign, int = "", frac = "", exp, suffix = ""] = m;
  let num = BigInt((int || "0") + frac) * (sign === "-" ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  let e10 = exp !== undefined ? Number(exp) : (DECIMAL[suffix] ?? 0);
  if (suffix in BINARY) {
    num *= 2n ** BigInt(BINARY[suffix]!);
    e10 = 0;
  }
  if (e10 >= 0) num *= 10n ** BigInt(e10);
  else den *= 10n ** BigInt(-e10);
  return { num, den };
}

export function compareQuantities(a: Rational, b: Rational): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}
