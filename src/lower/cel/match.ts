import type { Policy } from "../../ir/index.js";
import { NAMESPACE_NAME_LABEL, type LabelSelector, type LabelSelectorRequirement } from "../../kube/index.js";
import { namespaceConditions } from "./namespace-conditions.js";

export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
  scope?: string;
}

/**
 * `matchConstraints` as ValidatingAdmissionPolicy and Kyverno ValidatingPolicy share it: one
 * resource rule per API group and version; namespace names become a namespaceSelector on the
 * `kubernetes.io/metadata.name` label, since these policies select namespaces by label only.
 */
export function toMatchConstraints(p: Policy, params: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { resourceRules: resourceRules(p) };
  const ns = namespaceSelector(p, namespaceConditions(p, params).selector);
  if (ns) out["namespaceSelector"] = ns;
  if (p.match.labelSelector) out["objectSelector"] = toSelector(p.match.labelSelector);
  return out;
}

function namespaceSelector(
  p: Pick<Policy, "match">,
  fromPrecondition: readonly LabelSelectorRequirement[],
): Record<string, unknown> | undefined {
  const exprs: Record<string, unknown>[] = [...fromPrecondition];
  const include = p.match.namespaces?.include;
  const exclude = p.match.namespaces?.exclude;
  if (include?.length) exprs.push({ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...include] });
  if (exclude?.length) exprs.push({ key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: [...exclude] });
  const user = p.match.namespaceSelector;
  if (!user && exprs.length === 0) return undefined;
  const sel = toSelector({
    ...(user?.matchLabels ? { matchLabels: user.matchLabels } : {}),
    matchExpressions: [...(user?.matchExpressions ?? []), ...(exprs as never[])],
  });
  return sel;
}

/** One resource rule per API group and version, with the match's operations. */
function resourceRules(m: Pick<Policy, "match">): ResourceRule[] {
  const groups = new Map<string, ResourceRule>();
  for (const k of m.match.kinds) {
    const key = `${k.group}/${k.version}`;
    const rule = groups.get(key) ?? { apiGroups: [k.group], apiVersions: [k.version], operations: [...m.match.operations], resources: [] };
    if (!rule.resources.includes(k.resource)) rule.resources.push(k.resource);
    groups.set(key, rule);
  }
  return [...groups.values()];
}

/** `matchConstraints` of a mutation (kinds, operations, namespace names and selectors; no precondition). */
export function mutationMatchConstraints(m: Pick<Policy, "match">): Record<string, unknown> {
  const out: Record<string, unknown> = { resourceRules: resourceRules(m) };
  const ns = namespaceSelector(m, []);
  if (ns) out["namespaceSelector"] = ns;
  if (m.match.labelSelector) out["objectSelector"] = toSelector(m.match.labelSelector);
  return out;
}

export function toSelector(s: LabelSelector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.matchLabels && Object.keys(s.matchLabels).length) out["matchLabels"] = { ...s.matchLabels };
  if (s.matchExpressions?.length) {
    out["matchExpressions"] = s.matchExpressions.map((e) => ({
      key: e.key,
      operator: e.operator,
      ...(e.values ? { values: [...e.values] } : {}),
    }));
  }
  return out;
}
