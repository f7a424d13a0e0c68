import type { Policy } from "../../ir/index.js";
import { apiVersionOf, namespaceLabels, selectorMatches, type Operation } from "../../kube/index.js";

export interface Request {
  readonly operation: Operation;
  /** Labels of the object's namespace, for namespace selectors. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

const labelsOf = (o: unknown): Record<string, string> => (o as { metadata?: { labels?: Record<string, string> } })?.metadata?.labels ?? {};

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
      !selectorMatches(p.match.namespaceSelector, { ...(req.namespaceLabels ?? {}), ...namespaceLabels(ns) })
    )
      return false;
  }
  if (p.match.labelSelector && !selectorMatches(p.match.labelSelector, labelsOf(object))) return false;
  return true;
}
