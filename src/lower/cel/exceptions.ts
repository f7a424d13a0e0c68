import { criteriaOf, globToRegex, soleNamespaceRequirement, type Exception, type LabelSelector, type Policy } from "../../ir/index.js";
import { celString, celValue } from "./escape.js";
import type { CelVariable } from "./lower-policy.js";

/** The object admitted: `object`, or on DELETE (where `object` is null) the old one. */
const admitted = (p: Policy) => (p.match.operations.includes("DELETE") ? `(request.operation == "DELETE" ? oldObject : object)` : "object");

const isGlob = (n: string) => /[*?]/.test(n);

/** A request field the API server may leave out (Go's omitempty), read as its zero value when it does. */
const requestField = (path: string, zero: string) => `(has(request.${path}) ? request.${path} : ${zero})`;

/** A label selector over a labels map (CEL `map(string, string)` text), as Kubernetes reads one: every requirement holds. */
function selectorCel(s: LabelSelector, labels: string): string[] {
  const out: string[] = [];
  const has = (k: string) => `${celString(k)} in ${labels}`;
  const get = (k: string) => `${labels}[${celString(k)}]`;
  for (const [k, v] of Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    out.push(`(${has(k)} && ${get(k)} == ${celString(v)})`);
  for (const e of s.matchExpressions ?? []) {
    const values = celValue([...(e.values ?? [])]);
    if (e.operator === "In") out.push(`(${has(e.key)} && ${get(e.key)} in ${values})`);
    else if (e.operator === "NotIn") out.push(`(!(${has(e.key)}) || !(${get(e.key)} in ${values}))`);
    else if (e.operator === "Exists") out.push(`(${has(e.key)})`);
    else out.push(`(!(${has(e.key)}))`);
  }
  return out;
}

/**
 * The CEL of an exception's criteria, one condition per criterion, each true where its criterion
 * holds (the exception applies where all do). What the namespace's labels say is not among them:
 * CEL match conditions see no namespace object (see `backends/*` for where it goes).
 * - kinds: `request.kind`; names: the admitted object's `metadata.name` (the API server generates a
 *   `generateName` before validating admission; `request.name` would be empty);
 * - namespaces: `request.namespace`; users and groups: `request.userInfo`.
 */
export function exceptionCriteria(p: Policy, ex: Exception): CelVariable[] {
  const m = ex.match;
  const obj = admitted(p);
  const out: CelVariable[] = [];
  if (m.kinds)
    out.push({
      name: "kinds",
      expression: `request.kind.group + "/" + request.kind.kind in ${celValue(m.kinds.map((k) => `${k.group}/${k.kind}`))}`,
    });
  if (m.namespaces) out.push({ name: "namespaces", expression: `${requestField("namespace", '""')} in ${celValue([...m.namespaces])}` });
  if (m.names) {
    // A field present but null (`name:` with no value) reads as missing, never as an evaluation error.
    const read = `${obj}.?metadata.?name.orValue("")`;
    const name = `(type(${read}) == string ? ${read} : "")`;
    const exact = m.names.filter((n) => !isGlob(n));
    const globs = m.names.filter(isGlob);
    const parts = [
      ...(exact.length ? [`${name} in ${celValue(exact)}`] : []),
      ...globs.map((g) => `${name}.matches(${celString(globToRegex(g))})`),
    ];
    out.push({ name: "names", expression: parts.join(" || ") });
  }
  if (m.labelSelector) {
    const read = `${obj}.?metadata.?labels.orValue({})`;
    out.push({ name: "labels", expression: selectorCel(m.labelSelector, `(type(${read}) == map ? ${read} : {})`).join(" && ") });
  }
  if (m.users || m.groups) {
    const parts = [
      ...(m.users ? [`${requestField("userInfo.username", '""')} in ${celValue([...m.users])}`] : []),
      ...(m.groups ? [`${requestField("userInfo.groups", "[]")}.exists(g, g in ${celValue([...m.groups])})`] : []),
    ];
    out.push({ name: "subjects", expression: parts.join(" || ") });
  }
  return out;
}

/** The criteria as one condition: true where the exception applies. */
export function exceptionCondition(p: Policy, ex: Exception): string {
  const parts = exceptionCriteria(p, ex).map((c) => c.expression);
  return parts.length === 1 ? parts[0]! : parts.map((x) => `(${x})`).join(" && ");
}

/**
 * Where an exception goes in a ValidatingAdmissionPolicy's output (see docs/exceptions.md):
 * - `namespaceSelector`: namespaces alone (`NotIn` on `kubernetes.io/metadata.name`), or one
 *   namespace-label requirement alone (its complement), on the binding;
 * - `excludeResourceRules`: exact names, alone or with kinds, on the binding (`resourceNames`);
 * - `matchConditions`: anything else (globs, object labels, users, conjunctions), negated, on
 *   the policy: CEL match conditions see the object and the request;
 * - `undefined`: a namespace-label criterion with anything else (match conditions see no
 *   namespace object, and a selector cannot say "not both").
 */
export type VapPlacement = "namespaceSelector" | "excludeResourceRules" | "matchConditions";

export function vapPlacement(ex: Exception): VapPlacement | undefined {
  const criteria = criteriaOf(ex);
  if (criteria.includes("namespaceLabels")) return soleNamespaceRequirement(ex) ? "namespaceSelector" : undefined;
  if (criteria.length === 1 && criteria[0] === "namespaces") return "namespaceSelector";
  const exactNames = ex.match.names?.every((n) => !isGlob(n));
  if (exactNames && criteria.every((c) => c === "names" || c === "kinds")) return "excludeResourceRules";
  return "matchConditions";
}
