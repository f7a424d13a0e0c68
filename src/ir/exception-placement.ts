import type { Exception, LabelSelector, LabelSelectorRequirement } from "./types.js";

/** The criteria an exception gives, by name. */
export function criteriaOf(ex: Exception): string[] {
  const m = ex.match;
  return [
    ...(m.kinds ? ["kinds"] : []),
    ...(m.namespaces ? ["namespaces"] : []),
    ...(m.names ? ["names"] : []),
    ...(m.labelSelector ? ["labels"] : []),
    ...(m.namespaceSelector ? ["namespaceLabels"] : []),
    ...(m.users || m.groups ? ["subjects"] : []),
  ];
}

/** A selector's requirements, matchLabels written as `In` with one value. */
export function requirementsOf(s: LabelSelector): LabelSelectorRequirement[] {
  return [
    ...Object.entries(s.matchLabels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, operator: "In" as const, values: [value] })),
    ...(s.matchExpressions ?? []).map((e) => ({ ...e, ...(e.values ? { values: [...e.values] } : {}) })),
  ];
}

/**
 * The requirement that holds exactly where `r` does not: In ↔ NotIn (a missing label satisfies
 * NotIn, as it fails In), Exists ↔ DoesNotExist. A selector of one requirement is exempted by
 * adding its complement to the selector that puts the policy into effect.
 */
export function complementOf(r: LabelSelectorRequirement): LabelSelectorRequirement {
  switch (r.operator) {
    case "In":
      return { key: r.key, operator: "NotIn", values: [...(r.values ?? [])] };
    case "NotIn":
      return { key: r.key, operator: "In", values: [...(r.values ?? [])] };
    case "Exists":
      return { key: r.key, operator: "DoesNotExist" };
    case "DoesNotExist":
      return { key: r.key, operator: "Exists" };
  }
}

/** Where the namespace-label criterion can go: nowhere but a selector, and only alone with one requirement (see docs/exceptions.md). */
export function soleNamespaceRequirement(ex: Exception): LabelSelectorRequirement | undefined {
  const sel = ex.match.namespaceSelector;
  if (!sel || criteriaOf(ex).length !== 1) return undefined;
  const reqs = requirementsOf(sel);
  return reqs.length === 1 ? reqs[0] : undefined;
}
