import { z } from "zod";

/** A Kubernetes resource kind as admission sees it. `group` is "" for the core group. */
export const kindRefSchema = z
  .object({
    group: z.string(),
    version: z.string(),
    kind: z.string(),
    /** The resource name (lowercase plural) used by ValidatingAdmissionPolicy resourceRules. */
    resource: z.string(),
    namespaced: z.boolean(),
  })
  .strict();
export type KindRef = Readonly<z.infer<typeof kindRefSchema>>;

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
  ReplicationController: kind("", "v1", "ReplicationController", "replicationcontrollers"),
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
  PodDisruptionBudget: kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  HorizontalPodAutoscaler: kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
} as const satisfies Record<string, KindRef>;

export const sameKind = (a: KindRef, b: KindRef): boolean => a.group === b.group && a.version === b.version && a.kind === b.kind;

/** `v1` for the core group, else `group/version`. */
export const apiVersionOf = (k: { readonly group: string; readonly version: string }): string =>
  k.group === "" ? k.version : `${k.group}/${k.version}`;

/** The group and version of an `apiVersion` string (`apps/v1` → apps, v1; `v1` → "", v1). */
export function groupVersionOf(apiVersion: string | undefined): { group: string; version: string } {
  const v = apiVersion ?? "";
  const slash = v.indexOf("/");
  return slash < 0 ? { group: "", version: v } : { group: v.slice(0, slash), version: v.slice(slash + 1) };
}

/** Cluster-scoped kinds of Kubernetes' own API groups (and the policy engines') beyond BUILTIN_KINDS. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "StorageClass",
  "CustomResourceDefinition",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "CertificateSigningRequest",
  "ClusterTrustBundle",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "ComponentStatus",
  "PodSecurityPolicy",
  "VolumeAttributesClass",
  "StorageVersion",
  "StorageVersionMigration",
  "IPAddress",
  "ServiceCIDR",
  "DeviceClass",
  "DeviceTaintRule",
  "ResourceSlice",
  "TokenReview",
  "SelfSubjectReview",
  "SubjectAccessReview",
  "SelfSubjectAccessReview",
  "SelfSubjectRulesReview",
  "ConstraintTemplate",
  "ClusterPolicy",
  "ValidatingPolicy",
  "MutatingPolicy",
  "GeneratingPolicy",
  "DeletingPolicy",
  "ImageValidatingPolicy",
  "ClusterCleanupPolicy",
  "ClusterPolicyReport",
  "ClusterEphemeralReport",
]);

/** The built-in kinds by apiVersion and kind, and by group and kind (looked up per admission request). */
const BY_API_VERSION = new Map(Object.values(BUILTIN_KINDS).map((k) => [`${apiVersionOf(k)}\0${k.kind}`, k]));
const BY_GROUP = new Map<string, KindRef>();
// The first of a group's kinds wins, as a search of the table in order would find it.
for (const k of Object.values(BUILTIN_KINDS)) if (!BY_GROUP.has(`${k.group}\0${k.kind}`)) BY_GROUP.set(`${k.group}\0${k.kind}`, k);

/** Whether objects of a kind live in namespaces: built-in kinds by table, others unless known cluster-scoped. */
export function isNamespacedKind(apiVersion: string | undefined, kind: string | undefined): boolean {
  const known = BY_API_VERSION.get(`${apiVersion}\0${kind}`);
  if (known) return known.namespaced;
  return !CLUSTER_SCOPED.has(kind ?? "");
}

/** The resource (plural) of a kind: the built-in table, else the API's own pluralisation rule. */
export function resourceOf(kind: string, group: string): string {
  const known = BY_GROUP.get(`${group}\0${kind}`);
  if (known) return known.resource;
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}
