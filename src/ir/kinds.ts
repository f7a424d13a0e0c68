import type { KindRef } from "./types.js";

const kind = (group: string, version: string, kind: string, resource: string, namespaced = true): KindRef => ({
  group,
  version,
  kind,
  resource,
  namespaced,
});

/** Built-in kinds policies commonly match. Custom resources are described by the user. */
export const BUILTIN_KINDS = {
  Pod: kind("", "v1", "Pod", "pods"),
  Service: kind("", "v1", "Service", "services"),
  ConfigMap: kind("", "v1", "ConfigMap", "configmaps"),
  Secret: kind("", "v1", "Secret", "secrets"),
  Namespace: kind("", "v1", "Namespace", "namespaces", false),
  ServiceAccount: kind("", "v1", "ServiceAccount", "serviceaccounts"),
  PersistentVolumeClaim: kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
  PersistentVolume: kind("", "v1", "PersistentVolume", "persistentvolumes", false),
  Deployment: kind("apps", "v1", "Deployment", "deployments"),
  StatefulSet: kind("apps", "v1", "StatefulSet", "statefulsets"),
  DaemonSet: kind("apps", "v1", "DaemonSet", "daemonsets"),
  ReplicaSet: kind("apps", "v1", "ReplicaSet", "replicasets"),
  Job: kind("batch", "v1", "Job", "jobs"),
  CronJob: kind("batch", "v1", "CronJob", "cronjobs"),
  Ingress: kind("networking.k8s.io", "v1", "Ingress", "ingresses"),
  NetworkPolicy: kind("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
  Role: kind("rbac.authorization.k8s.io", "v1", "Role", "roles"),
  ClusterRole: kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
  RoleBinding: kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
  ClusterRoleBinding: kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false),
} as const satisfies Record<string, KindRef>;

/**
 * The controllers whose pod template a Pod rule also covers, and where that template sits.
 * Kyverno's autogen covers the same set (https://kyverno.io/docs/writing-policies/autogen/).
 */
export const POD_CONTROLLERS: readonly { readonly kind: KindRef; readonly template: readonly string[] }[] = [
  { kind: BUILTIN_KINDS.Deployment, template: ["spec", "template"] },
  { kind: BUILTIN_KINDS.StatefulSet, template: ["spec", "template"] },
  { kind: BUILTIN_KINDS.DaemonSet, template: ["spec", "template"] },
  { kind: BUILTIN_KINDS.ReplicaSet, template: ["spec", "template"] },
  { kind: BUILTIN_KINDS.Job, template: ["spec", "template"] },
  { kind: BUILTIN_KINDS.CronJob, template: ["spec", "jobTemplate", "spec", "template"] },
];

export const sameKind = (a: KindRef, b: KindRef): boolean => a.group === b.group && a.version === b.version && a.kind === b.kind;

export const apiVersionOf = (k: KindRef): string => (k.group === "" ? k.version : `${k.group}/${k.version}`);
