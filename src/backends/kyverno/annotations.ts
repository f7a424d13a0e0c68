import type { Policy } from "../../ir/index.js";

/** Kyverno's policy annotations (https://kyverno.io/docs/writing-policies/policy-settings/). */
export function kyvernoAnnotations(p: Policy): Record<string, string> {
  const a: Record<string, string> = {};
  if (p.title) a["policies.kyverno.io/title"] = p.title;
  if (p.category) a["policies.kyverno.io/category"] = p.category;
  if (p.severity) a["policies.kyverno.io/severity"] = p.severity;
  a["policies.kyverno.io/subject"] = p.subject === "pod" ? "Pod" : [...new Set(p.match.kinds.map((k) => k.kind))].join(", ");
  if (p.description) a["policies.kyverno.io/description"] = p.description;
  return a;
}
