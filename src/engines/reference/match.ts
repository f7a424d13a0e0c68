import type { Policy } from "../../ir/index.js";
import { apiVersionOf, namespaceLabels, selectorMatches, type Operation } from "../../kube/index.js";

export interface Request {
  readonly operation: Operation;
  /** Labels of the object's namespace, for namespace selectors. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** The old object (UPDATE): a label selector matches when either object's labels match it. */
  readonly oldObject?: unknown;
}

const labelsOf = (o: unknown): Record<string, string> => (o as { metadata?: { labels?: Record<string, string> } })?.metadata?.labels ?? {};

/**
 * Whether a policy applies to an object: kind, operation, namespace names, object labels (the
 * object's or the old object's) and namespace labels. Cluster-scoped objects are never skipped for namespace reasons, as the
 * API server does for ValidatingAdmissionPolicy namespaceSelector.
 */
export function policyMatches(p: Pick<Policy, "match">, object: unknown, req: Request): boolean {
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
  // The API server matches objectSelector against the object and the old object, and Gatekeeper
  // its whole match: an UPDATE that removes a selected label still matches.
  const selector = p.match.labelSelector;
  if (selector && !selectorMatches(selector, labelsOf(object)) && !(req.oldObject && selectorMatches(selector, labelsOf(req.oldObject))))
    return false;
  return true;
}
