import { BUILTIN_KINDS, type KindRef } from "./kinds.js";

/** A controller that creates Pods from a pod template, and where the template sits in it. */
export interface PodController {
  readonly kind: KindRef;
  readonly template: readonly string[];
}

const TEMPLATE = ["spec", "template"] as const;
const JOB_TEMPLATE = ["spec", "jobTemplate", "spec", "template"] as const;

/**
 * The pod controllers policyc covers for a Pod policy (Kyverno's autogen covers the same set for
 * ValidatingPolicy: https://kyverno.io/docs/writing-policies/autogen/).
 */
export const POD_CONTROLLERS: readonly PodController[] = [
  { kind: BUILTIN_KINDS.Deployment, template: TEMPLATE },
  { kind: BUILTIN_KINDS.StatefulSet, template: TEMPLATE },
  { kind: BUILTIN_KINDS.DaemonSet, template: TEMPLATE },
  { kind: BUILTIN_KINDS.ReplicaSet, template: TEMPLATE },
  { kind: BUILTIN_KINDS.Job, template: TEMPLATE },
  { kind: BUILTIN_KINDS.CronJob, template: JOB_TEMPLATE },
];

/** Where a pod controller of this kind keeps its pod template, if it is one. */
export function podTemplatePath(kind: string | undefined): readonly string[] | undefined {
  return POD_CONTROLLERS.find((c) => c.kind.kind === kind)?.template;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmptySelector = (s: unknown) =>
  isRecord(s) &&
  ((isRecord(s.matchLabels) && Object.keys(s.matchLabels).length > 0) ||
    (Array.isArray(s.matchExpressions) && s.matchExpressions.length > 0));
const only = (x: unknown, v: string) => Array.isArray(x) && x.length === 1 && x[0] === v;

/**
 * Whether Kyverno autogens a ValidatingPolicy with these matchConstraints for pod controllers
 * (Kyverno's CanAutoGen, pkg/cel/autogen): exactly one resource rule, for core/v1 `pods`, with no
 * resource names, no exclusions, and no object or namespace selector. Unless the policy's
 * `autogen.podControllers.controllers` says otherwise, such a policy also checks Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs through their pod templates.
 */
export function kyvernoAutogens(matchConstraints: unknown): boolean {
  if (!isRecord(matchConstraints)) return false;
  const m = matchConstraints;
  if (nonEmptySelector(m.namespaceSelector) || nonEmptySelector(m.objectSelector)) return false;
  if (Array.isArray(m.excludeResourceRules) && m.excludeResourceRules.length > 0) return false;
  const rules = m.resourceRules;
  if (!Array.isArray(rules) || rules.length !== 1 || !isRecord(rules[0])) return false;
  const r = rules[0];
  if (Array.isArray(r.resourceNames) && r.resourceNames.length > 0) return false;
  return only(r.apiGroups, "") && only(r.apiVersions, "v1") && only(r.resources, "pods");
}
