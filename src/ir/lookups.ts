/**
 * Lookups: a policy reading other objects of the cluster (`ListSource` of kind `lookup`).
 *
 * What a lookup sees, on every target: the objects the cluster holds of its kind, in its
 * namespace, with its name and labels, **except the object under review**. On CREATE the object is
 * not stored yet; on UPDATE the cluster holds its old version, which a lookup would otherwise see
 * as "another" object (a uniqueness check would find itself); on DELETE it is still stored. So
 * every target leaves out an object of the reviewed object's own kind, namespace and name, and a
 * policy reads the old version through `old`. A lookup of a kind the policy never admits cannot
 * meet the object under review, and filters nothing.
 */
import { apiVersionOf, POD_CONTROLLERS, sameKind, type KindRef } from "../kube/index.js";
import type { ListSource, Policy } from "./types.js";
import { valueChildren, type ValueNode } from "./values.js";
import { operandsOf, walkPolicy } from "./walk.js";

export type LookupList = Extract<ListSource, { kind: "lookup" }>;

/** Every lookup a policy's conditions read (nested ones, in a lookup's name or namespace, included). */
export function lookupsIn(p: Policy): LookupList[] {
  const out: LookupList[] = [];
  const visit = (n: ValueNode) => {
    if (n.kind === "lookup") out.push(n);
    valueChildren(n).forEach(visit);
  };
  walkPolicy(p, (e) => operandsOf(e).forEach(visit));
  for (const r of p.rules) for (const part of r.message.parts) if (part.kind === "value") visit(part.value);
  return out;
}

/** Whether a policy reads other objects of the cluster. */
export const readsCluster = (p: Policy): boolean => lookupsIn(p).length > 0;

/** The kinds a policy admits: its match kinds, and for a pod policy the pod controllers it covers. */
export function admittedKinds(p: Policy): KindRef[] {
  return p.subject === "pod" ? [...p.match.kinds, ...POD_CONTROLLERS.map((c) => c.kind)] : [...p.match.kinds];
}

/** Whether a lookup can meet the object under review (its kind is one the policy admits), so must leave it out. */
export function lookupMeetsSubject(admitted: readonly KindRef[], l: LookupList): boolean {
  return admitted.some((k) => sameKind(k, l.target));
}

/** The kinds a policy looks up, once each, in a stable order (for Gatekeeper's sync and the docs). */
export function lookedUpKinds(p: Policy): KindRef[] {
  const out: KindRef[] = [];
  for (const l of lookupsIn(p)) if (!out.some((k) => sameKind(k, l.target))) out.push(l.target);
  return out.sort((a, b) => (apiVersionOf(a) + a.kind < apiVersionOf(b) + b.kind ? -1 : 1));
}
