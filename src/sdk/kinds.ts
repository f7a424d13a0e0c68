import type * as apps from "kubernetes-types/apps/v1.js";
import type * as batch from "kubernetes-types/batch/v1.js";
import type * as core from "kubernetes-types/core/v1.js";
import type * as networking from "kubernetes-types/networking/v1.js";
import type * as rbac from "kubernetes-types/rbac/v1.js";
import { BUILTIN_KINDS, type KindRef } from "../kube/index.js";

declare const RESOURCE: unique symbol;

/**
 * A kind to match, carrying the TypeScript type of its objects (from `kubernetes-types`,
 * generated from the Kubernetes OpenAPI) so rules over it are type-checked.
 */
export interface Kind<T> extends KindRef {
  readonly [RESOURCE]?: T;
}

const k = <T>(ref: KindRef): Kind<T> => ref as Kind<T>;

export const Pod = k<core.Pod>(BUILTIN_KINDS.Pod);
export const Service = k<core.Service>(BUILTIN_KINDS.Service);
export const ConfigMap = k<core.ConfigMap>(BUILTIN_KINDS.ConfigMap);
export const Secret = k<core.Secret>(BUILTIN_KINDS.Secret);
export const Namespace = k<core.Namespace>(BUILTIN_KINDS.Namespace);
export const ServiceAccount = k<core.ServiceAccount>(BUILTIN_KINDS.ServiceAccount);
export const PersistentVolumeClaim = k<core.PersistentVolumeClaim>(BUILTIN_KINDS.PersistentVolumeClaim);
export const PersistentVolume = k<core.PersistentVolume>(BUILTIN_KINDS.PersistentVolume);
export const Deployment = k<apps.Deployment>(BUILTIN_KINDS.Deployment);
export const StatefulSet = k<apps.StatefulSet>(BUILTIN_KINDS.StatefulSet);
export const DaemonSet = k<apps.DaemonSet>(BUILTIN_KINDS.DaemonSet);
export const ReplicaSet = k<apps.ReplicaSet>(BUILTIN_KINDS.ReplicaSet);
export const Job = k<batch.Job>(BUILTIN_KINDS.Job);
export const CronJob = k<batch.CronJob>(BUILTIN_KINDS.CronJob);
export const Ingress = k<networking.Ingress>(BUILTIN_KINDS.Ingress);
export const NetworkPolicy = k<networking.NetworkPolicy>(BUILTIN_KINDS.NetworkPolicy);
export const Role = k<rbac.Role>(BUILTIN_KINDS.Role);
export const ClusterRole = k<rbac.ClusterRole>(BUILTIN_KINDS.ClusterRole);
export const RoleBinding = k<rbac.RoleBinding>(BUILTIN_KINDS.RoleBinding);
export const ClusterRoleBinding = k<rbac.ClusterRoleBinding>(BUILTIN_KINDS.ClusterRoleBinding);

export interface CustomKindOptions {
  /** `group/version`, e.g. `example.com/v1`. */
  readonly apiVersion: string;
  readonly kind: string;
  /** Lowercase plural resource name; defaults to the lowercased kind plus "s". */
  readonly resource?: string;
  readonly namespaced?: boolean;
}

/** A custom resource kind, typed by the caller: `customKind<Widget>({ apiVersion, kind })`. */
export function customKind<T>(o: CustomKindOptions): Kind<T> {
  const slash = o.apiVersion.lastIndexOf("/");
  return {
    group: slash === -1 ? "" : o.apiVersion.slice(0, slash),
    version: slash === -1 ? o.apiVersion : o.apiVersion.slice(slash + 1),
    kind: o.kind,
    resource: o.resource ?? `${o.kind.toLowerCase()}s`,
    namespaced: o.namespaced ?? true,
  } as Kind<T>;
}

export type KindsType<K extends readonly Kind<unknown>[]> = K[number] extends Kind<infer T> ? T : never;
