import { z } from "zod";
import type { DeepReadonly } from "./readonly.js";

/** The label every namespace carries with its own name (Kubernetes 1.22+). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export const labelSelectorRequirementSchema = z
  .object({
    key: z.string(),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(z.string()).optional(),
  })
  .strict();

/** A Kubernetes label selector (metav1.LabelSelector). */
export const labelSelectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z.array(labelSelectorRequirementSchema).optional(),
  })
  .strict();

export type LabelSelectorRequirement = DeepReadonly<z.infer<typeof labelSelectorRequirementSchema>>;
export type LabelSelector = DeepReadonly<z.infer<typeof labelSelectorSchema>>;

/** Whether labels satisfy a selector, as metav1.LabelSelectorAsSelector reads it. */
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

/** A namespace's labels as selectors see them: its own, plus its name label. */
export function namespaceLabels(
  name: string,
  namespace?: { readonly metadata?: { readonly labels?: Readonly<Record<string, string>> } },
): Record<string, string> {
  return { ...(namespace?.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}
