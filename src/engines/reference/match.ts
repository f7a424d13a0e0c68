import { apiVersionOf, type LabelSelector, type Policy } from "../../ir/index.js";

export interface Request {
  readonly operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  /** Labels of the object's namespace, for namespace selectors. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

const labelsOf = (o: unknown): Record<string, string> => (o as { metadata?: { labels?: Record<string, string> } })?.metadata?.labels ?? {};

export function selectorMatches(s: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const val = labels[e.key];
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
    if (e.operator === "In" && !(has && (e.values ?? []).includes(val!))) return false;
    if (e.operator === "NotIn" && has && (e.values ?? []).includes(val!)) return false;
  }
  return true;
}

/**
 * Whether a policy applies to an object: kind, operation, namespace names, object labels and
 * namespace labels. Cluster-scoped objects are never skipped for namespace reasons, as the
 * API server does for ValidatingAdmissionPolicy namespaceSelector.
 */
export function policyMatches(p: Policy, object: unknown, req: Request): boolean {
  const o = object as { apiVersion?: string; kind?: string; metadata?: { namespace?: string } };
  if (!p.match.kinds.some((k) => apiVersionOf(k) === o.apiVersion && k.kind === o.kind)) return false;
  if (!p.match.operations.includes(req.operation)) return false;
  const kind = p.match.kinds.find((k) => k.kind === o.kind);
  const ns = o.metadata?.namespace ?? (kind?.namespaced ? "default" : undefined);
  if (ns !== undefined) {
    const inc = p.match.namespaces?.include;
    if (inc && !inc.includes(ns)) return false;
    if (p.match.namespaces?.exclude?.includes(ns)) return false;
    if (
      p.match.namespaceSelector &&
      !selectorMatches(p.match.namespaceSelector, { "kubernetes.io/metadata.name": ns, ...(req.namespaceLabels ?? {}) })
    )
      return false;
  }
  if (p.match.labelSelector && !selectorMatches(p.match.labelSelector, labelsOf(object))) return false;
  return true;
}
