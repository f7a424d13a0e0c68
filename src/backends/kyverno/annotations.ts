import type { Exception, Policy } from "../../ir/index.js";
import { MANAGED_BY } from "../document/index.js";

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

/** Where policyc's PolicyExceptions live unless the build names another namespace: Kyverno's own (see docs/exceptions.md). */
export const EXCEPTION_NAMESPACE = "kyverno";

/** What a Kyverno backend is told by the build. */
export interface KyvernoOptions {
  /** The namespace Kyverno reads PolicyExceptions from (its `--exceptionNamespace`); default `kyverno`. */
  readonly exceptionNamespace?: string;
}

/**
 * The metadata of the PolicyException (either format) exempting `p` for `ex`: named
 * `<exception>-<policy>`, so an exception naming several policies makes one object per policy,
 * with its reason and expiry as annotations.
 */
export function exceptionMetadata(p: Policy, ex: Exception, options: KyvernoOptions = {}): { name: string } & Record<string, unknown> {
  return {
    name: `${ex.name}-${p.name}`,
    namespace: options.exceptionNamespace ?? EXCEPTION_NAMESPACE,
    labels: { ...MANAGED_BY },
    annotations: { "policyc/reason": ex.reason, ...(ex.expires ? { "policyc/expires": ex.expires } : {}) },
  };
}
