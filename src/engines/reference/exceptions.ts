import { globToRegex, regexFind, type Exception, type Policy } from "../../ir/index.js";
import { groupVersionOf, namespaceLabels, selectorMatches, sentUserInfo, subjectObject, type AdmissionRequest } from "../../kube/index.js";

/**
 * What an exception means, read from the IR (ir/schema.ts `exceptionMatchSchema`): it applies to
 * a request when every criterion it gives holds for the admitted object (the old one on DELETE)
 * and the requesting user. The referee the targets' PolicyException, binding, match conditions,
 * Constraint match and Rego are compared with.
 */
export function exceptionApplies(ex: Exception, req: AdmissionRequest): boolean {
  const o = subjectObject(req);
  if (!o) return false;
  const m = ex.match;
  const meta = o.metadata ?? {};
  if (m.kinds) {
    const { group } = groupVersionOf(o.apiVersion);
    if (!m.kinds.some((k) => k.group === group && k.kind === o.kind)) return false;
  }
  // The request's namespace, as the API server sends it: a cluster-scoped object has none.
  const ns = meta.namespace ?? "";
  if (m.namespaces && !m.namespaces.includes(ns)) return false;
  if (m.names) {
    const name = meta.name ?? "";
    if (!m.names.some((n) => (/[*?]/.test(n) ? regexFind(globToRegex(n), name) : n === name))) return false;
  }
  if (m.labelSelector && !selectorMatches(m.labelSelector, meta.labels ?? {})) return false;
  if (m.namespaceSelector && (!ns || !selectorMatches(m.namespaceSelector, namespaceLabels(ns, req.cluster?.namespaces?.[ns]))))
    return false;
  if (m.users || m.groups) {
    const user = sentUserInfo(req.userInfo);
    const byName = m.users?.includes(user.username ?? "") ?? false;
    const byGroup = m.groups?.some((g) => (user.groups ?? []).includes(g)) ?? false;
    if (!byName && !byGroup) return false;
  }
  return true;
}

/** The first of the policy's exceptions that applies to the request. */
export function exemptingException(p: Policy, req: AdmissionRequest): Exception | undefined {
  return p.exceptions?.find((ex) => exceptionApplies(ex, req));
}
