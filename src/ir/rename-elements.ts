/**
 * Element variables renamed away from a target's reserved names. The SDK names an element after
 * its list (`containers` → `container`); a name a target reserves (a keyword, a variable the
 * target predeclares, a rule policyc's generated module defines) is renamed by that target's
 * lowering, which alone knows its list. The IR is plain data, so the rename is one walk over it.
 */
import type { Policy } from "./types.js";

/** The policy with every element variable whose name `reserved` holds renamed (`name2`, …); the same object when none is. */
export function renameElementVariables(p: Policy, reserved: ReadonlySet<string>): Policy {
  const used = new Set<string>();
  collect(p, used);
  const clashing = [...used].filter((v) => reserved.has(v));
  if (clashing.length === 0) return p;
  const names = new Map<string, string>();
  for (const v of clashing.sort()) {
    let n = 2;
    while (used.has(`${v}${n}`) || reserved.has(`${v}${n}`)) n++;
    names.set(v, `${v}${n}`);
    used.add(`${v}${n}`);
  }
  return rename(p, names) as Policy;
}

const isNode = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Where an element variable is named: a quantifier's binding, and an element scope's reference. */
const bindsOrReads = (o: Record<string, unknown>): boolean =>
  (o.kind === "quantifier" || o.kind === "element") && typeof o.variable === "string";

function collect(x: unknown, into: Set<string>): void {
  if (Array.isArray(x)) for (const item of x) collect(item, into);
  else if (isNode(x)) {
    if (bindsOrReads(x)) into.add(x.variable as string);
    for (const v of Object.values(x)) collect(v, into);
  }
}

function rename(x: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(x)) return x.map((item) => rename(item, names));
  if (!isNode(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = rename(v, names);
  if (bindsOrReads(x) && names.has(x.variable as string)) out.variable = names.get(x.variable as string);
  return out;
}
