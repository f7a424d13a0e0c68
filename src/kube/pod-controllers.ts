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
