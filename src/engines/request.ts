import { BUILTIN_KINDS } from "../ir/index.js";
import type { AuthorizerAnswer, UserInfo } from "../sdk/test-case.js";

/** An admission request as the engines see it: what a test case or a suite row describes. */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export type { AuthorizerAnswer, UserInfo } from "../sdk/test-case.js";

export interface AdmissionRequest {
  readonly operation: Operation;
  /** The object (absent on DELETE). */
  readonly object?: KubeObject;
  /** The existing object (UPDATE and DELETE). */
  readonly oldObject?: KubeObject;
  readonly userInfo?: UserInfo;
  readonly dryRun?: boolean;
  /** Cluster objects the request can see: namespaces (for namespace selectors), params, inventory. */
  readonly cluster?: ClusterState;
  readonly authorizer?: readonly AuthorizerAnswer[];
}

export interface ClusterState {
  /** Namespace objects by name. */
  readonly namespaces?: Readonly<Record<string, KubeObject>>;
  /** Every other object the cluster holds (Gatekeeper inventory, params, resource lookups). */
  readonly objects?: readonly KubeObject[];
}

/** The object a request is about: `object`, or `oldObject` on DELETE. */
export function subjectObject(req: AdmissionRequest): KubeObject | undefined {
  return req.operation === "DELETE" ? (req.oldObject ?? req.object) : (req.object ?? req.oldObject);
}

export function groupVersionOf(apiVersion: string | undefined): { group: string; version: string } {
  const v = apiVersion ?? "";
  const slash = v.indexOf("/");
  return slash < 0 ? { group: "", version: v } : { group: v.slice(0, slash), version: v.slice(slash + 1) };
}

/** The object's namespace: its own, else "default" for namespaced kinds without one, as kubectl does. */
export function namespaceOf(o: KubeObject | undefined, namespaced: boolean): string | undefined {
  return o?.metadata?.namespace ?? (namespaced ? "default" : undefined);
}

/** Whether objects of a kind live in namespaces: built-in kinds by table, others by their metadata. */
export function isNamespaced(o: KubeObject | undefined): boolean {
  if (!o) return true;
  const known = Object.values(BUILTIN_KINDS).find(
    (k) => k.kind === o.kind && `${k.group ? k.group + "/" : ""}${k.version}` === o.apiVersion,
  );
  if (known) return known.namespaced;
  if (CLUSTER_SCOPED.has(o.kind ?? "")) return false;
  return o.metadata?.namespace !== undefined || !CLUSTER_SCOPED.has(o.kind ?? "");
}

/** Cluster-scoped kinds of Kubernetes' own API groups beyond BUILTIN_KINDS. */
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
  "ConstraintTemplate",
  "ClusterPolicy",
]);
