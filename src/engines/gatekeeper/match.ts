/**
 * Gatekeeper's Constraint `spec.match`, applied before the Rego as Gatekeeper does. Follows the
 * Gatekeeper documentation ("How to use Gatekeeper" > "The match field"): every criterion given
 * must hold; kinds entries are alternatives; namespaces, excludedNamespaces and name take a
 * glob with `*` at the front or end; labelSelector reads the object's labels;
 * namespaceSelector reads the object's Namespace (a Namespace object is matched by its own
 * labels); scope is `*`, `Cluster` or `Namespaced`. Cluster-scoped objects other than Namespaces
 * are not filtered by namespace criteria. The whole match is tried on the object, then on the old
 * object (an UPDATE that removes a selected label still matches), as Gatekeeper's Matcher does
 * (pkg/target/matcher.go, matchAny).
 */
import {
  groupVersionOf,
  isNamespaced,
  namespaceLabels,
  namespaceOf,
  selectorMatches,
  type AdmissionRequest,
  type KubeObject,
  type LabelSelector,
} from "../../kube/index.js";

export interface ConstraintMatch {
  readonly kinds?: readonly { readonly apiGroups?: readonly string[]; readonly kinds?: readonly string[] }[];
  readonly scope?: "*" | "Cluster" | "Namespaced";
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces?: readonly string[];
  readonly labelSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly name?: string;
}

/** Gatekeeper's namespace/name glob: `prefix*`, `*suffix`, or an exact name. */
export function gatekeeperGlob(pattern: string, value: string): boolean {
  if (pattern.startsWith("*") && pattern.length > 1) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

export type MatchResult = { readonly matched: true } | { readonly matched: false; readonly reason: string };

const no = (reason: string): MatchResult => ({ matched: false, reason });

export function constraintMatches(match: ConstraintMatch | undefined, req: AdmissionRequest): MatchResult {
  const objects = [req.object, req.oldObject].filter((o): o is KubeObject => o !== undefined && o !== null);
  if (objects.length === 0) return no("the request carries no object");
  let first: MatchResult | undefined;
  for (const o of objects) {
    const r = objectMatches(match ?? {}, o, req);
    if (r.matched) return r;
    first ??= r;
  }
  return first!;
}

/** Whether one object (the request's, or its old one) meets every criterion of the match. */
function objectMatches(m: ConstraintMatch, o: KubeObject, req: AdmissionRequest): MatchResult {
  const { group } = groupVersionOf(o.apiVersion);
  if (m.kinds && m.kinds.length > 0) {
    const ok = m.kinds.some((k) => {
      const groups = k.apiGroups ?? [];
      const kinds = k.kinds ?? [];
      return (
        (groups.length === 0 || groups.includes("*") || groups.includes(group)) &&
        (kinds.length === 0 || kinds.includes("*") || kinds.includes(o.kind ?? ""))
      );
    });
    if (!ok) return no(`kind ${group ? group + "/" : ""}${o.kind} is not in match.kinds`);
  }
  const namespaced = isNamespaced(o);
  if (m.scope && m.scope !== "*") {
    if ((m.scope === "Namespaced") !== namespaced)
      return no(`scope ${m.scope} does not match a ${namespaced ? "namespaced" : "cluster-scoped"} object`);
  }
  if (m.name && !gatekeeperGlob(m.name, o.metadata?.name ?? "")) return no(`name ${o.metadata?.name} does not match ${m.name}`);
  const ns = o.kind === "Namespace" && o.apiVersion === "v1" ? o.metadata?.name : namespaceOf(o);
  if (ns !== undefined) {
    if (m.namespaces && m.namespaces.length > 0 && !m.namespaces.some((p) => gatekeeperGlob(p, ns)))
      return no(`namespace ${ns} is not in match.namespaces`);
    if (m.excludedNamespaces?.some((p) => gatekeeperGlob(p, ns))) return no(`namespace ${ns} is in match.excludedNamespaces`);
    if (m.namespaceSelector) {
      const nsObject: KubeObject | undefined = o.kind === "Namespace" ? o : req.cluster?.namespaces?.[ns];
      if (!selectorMatches(m.namespaceSelector, namespaceLabels(ns, nsObject)))
        return no(`namespace ${ns} does not match match.namespaceSelector`);
    }
  }
  if (m.labelSelector && !selectorMatches(m.labelSelector, o.metadata?.labels ?? {}))
    return no("the object's labels do not match match.labelSelector");
  return { matched: true };
}
