import { z } from "zod";
import type { DeepReadonly } from "./readonly.js";

/** The label every namespace carries with its own name (Kubernetes 1.22+). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a string is not a label key (a qualified name: an optional DNS subdomain prefix and `/`, then a name), as the API server says it; undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const [prefix, name] = slash === -1 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `${JSON.stringify(key)} is not a valid label key: its prefix must be a lowercase DNS subdomain`;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name))
    return `${JSON.stringify(key)} is not a valid label key: its name must be 1 to 63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric`;
  return undefined;
}

/** Why a string is not a label value, as the API server says it; undefined when it is one. */
export function labelValueProblem(value: string): string | undefined {
  if (value === "" || (value.length <= 63 && LABEL_NAME.test(value))) return undefined;
  return `${JSON.stringify(value)} is not a valid label value: at most 63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric`;
}

const labelKey = z.string().superRefine((k, ctx) => {
  const problem = labelKeyProblem(k);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const labelValue = z.string().superRefine((v, ctx) => {
  const problem = labelValueProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const labelSelectorRequirementSchema = z
  .object({
    key: labelKey,
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(labelValue).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const some = (r.values?.length ?? 0) > 0;
    if ((r.operator === "In" || r.operator === "NotIn") && !some)
      ctx.addIssue({ code: "custom", path: ["values"], message: `${r.operator} needs at least one value` });
    if ((r.operator === "Exists" || r.operator === "DoesNotExist") && some)
      ctx.addIssue({ code: "custom", path: ["values"], message: `${r.operator} takes no values` });
  });

/** A Kubernetes label selector (metav1.LabelSelector), with keys and values checked as the API server checks them. */
export const labelSelectorSchema = z
  .object({
    matchLabels: z.record(labelKey, labelValue).optional(),
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

/**
 * A Namespace as the API server stores it: with the label every namespace carries with its own
 * name; a namespace not given exists with only that label, as in a cluster.
 */
export function storedNamespace<N extends { readonly metadata?: { readonly labels?: Readonly<Record<string, string>> } }>(
  name: string,
  namespace?: N,
): N | { apiVersion: string; kind: string; metadata: { name: string; labels: Record<string, string> } } {
  if (!namespace) return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [NAMESPACE_NAME_LABEL]: name } } };
  if (namespace.metadata?.labels?.[NAMESPACE_NAME_LABEL] === name) return namespace;
  return { ...namespace, metadata: { ...namespace.metadata, labels: namespaceLabels(name, namespace) } };
}

/** A namespace's labels as selectors see them: its own, plus its name label. */
export function namespaceLabels(
  name: string,
  namespace?: { readonly metadata?: { readonly labels?: Readonly<Record<string, string>> } },
): Record<string, string> {
  return { ...(namespace?.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

const isMap = (x: unknown): x is Readonly<Record<string, unknown>> => typeof x === "object" && x !== null && !Array.isArray(x);
const has = (m: Readonly<Record<string, unknown>>, k: string) => Object.prototype.hasOwnProperty.call(m, k);

/**
 * Whether a selector read from an object selects a set of labels read from another, as Kubernetes
 * matches them, on values that may be malformed. `labelSelector`: a LabelSelector (`{}` selects
 * every set; missing or null selects none; a malformed part or an unknown operator selects none).
 * `map`: a plain map such as a Service's `spec.selector` (every pair present; missing or empty
 * selects none). Labels that are missing are the empty set; labels that are not a map match nothing.
 */
export function selectsLabels(style: "labelSelector" | "map", selector: unknown, labels: unknown): boolean {
  const set = labels === undefined || labels === null ? {} : labels;
  if (!isMap(set) || !isMap(selector)) return false;
  const pairsHold = (m: Readonly<Record<string, unknown>>) => Object.entries(m).every(([k, v]) => has(set, k) && set[k] === v);
  if (style === "map") return Object.keys(selector).length > 0 && pairsHold(selector);
  const { matchLabels, matchExpressions } = selector;
  if (matchLabels !== undefined && matchLabels !== null && (!isMap(matchLabels) || !pairsHold(matchLabels))) return false;
  if (matchExpressions === undefined || matchExpressions === null) return true;
  if (!Array.isArray(matchExpressions)) return false;
  return matchExpressions.every((e: unknown) => {
    if (!isMap(e) || typeof e.key !== "string") return false;
    const present = has(set, e.key);
    const values = Array.isArray(e.values) ? e.values : [];
    const within = present && values.includes(set[e.key]);
    switch (e.operator) {
      case "In":
        return within;
      case "NotIn":
        return !within;
      case "Exists":
        return present;
      case "DoesNotExist":
        return !present;
      default:
        return false;
    }
  });
}
