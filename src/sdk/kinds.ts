import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IReplicaSet } from "kubernetes-models/apps/v1/ReplicaSet";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IPersistentVolume } from "kubernetes-models/v1/PersistentVolume";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPod } from "kubernetes-models/v1/Pod";
import type { IReplicationController } from "kubernetes-models/v1/ReplicationController";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { z } from "zod";
import type { JsonSchema } from "../ir/index.js";
import { BUILTIN_KINDS, type KindRef } from "../kube/index.js";
import { SdkError } from "./errors.js";
import { structuralSchemaOf } from "./structural-schema.js";

declare const RESOURCE: unique symbol;

/**
 * A kind to match, carrying the TypeScript type of its objects (from `kubernetes-models`,
 * generated from the Kubernetes OpenAPI) so rules over it are type-checked. The same OpenAPI
 * gives the field table (`field-table.generated.ts`) that checks field names at build time.
 */
export interface Kind<T> extends KindRef {
  readonly [RESOURCE]?: T;
  /** A custom kind's schema (structural, as a CRD's), which its field references are checked against. */
  readonly schema?: JsonSchema;
  /** A custom kind declared without a schema: its fields are not checked. */
  readonly unchecked?: true;
}

const k = <T>(ref: KindRef): Kind<T> => ref as Kind<T>;

export const Pod = k<IPod>(BUILTIN_KINDS.Pod);
export const Service = k<IService>(BUILTIN_KINDS.Service);
export const ConfigMap = k<IConfigMap>(BUILTIN_KINDS.ConfigMap);
export const Secret = k<ISecret>(BUILTIN_KINDS.Secret);
export const Namespace = k<INamespace>(BUILTIN_KINDS.Namespace);
export const ServiceAccount = k<IServiceAccount>(BUILTIN_KINDS.ServiceAccount);
export const PersistentVolumeClaim = k<IPersistentVolumeClaim>(BUILTIN_KINDS.PersistentVolumeClaim);
export const PersistentVolume = k<IPersistentVolume>(BUILTIN_KINDS.PersistentVolume);
export const ReplicationController = k<IReplicationController>(BUILTIN_KINDS.ReplicationController);
export const Deployment = k<IDeployment>(BUILTIN_KINDS.Deployment);
export const StatefulSet = k<IStatefulSet>(BUILTIN_KINDS.StatefulSet);
export const DaemonSet = k<IDaemonSet>(BUILTIN_KINDS.DaemonSet);
export const ReplicaSet = k<IReplicaSet>(BUILTIN_KINDS.ReplicaSet);
export const Job = k<IJob>(BUILTIN_KINDS.Job);
export const CronJob = k<ICronJob>(BUILTIN_KINDS.CronJob);
export const Ingress = k<IIngress>(BUILTIN_KINDS.Ingress);
export const NetworkPolicy = k<INetworkPolicy>(BUILTIN_KINDS.NetworkPolicy);
export const Role = k<IRole>(BUILTIN_KINDS.Role);
export const ClusterRole = k<IClusterRole>(BUILTIN_KINDS.ClusterRole);
export const RoleBinding = k<IRoleBinding>(BUILTIN_KINDS.RoleBinding);
export const ClusterRoleBinding = k<IClusterRoleBinding>(BUILTIN_KINDS.ClusterRoleBinding);
export const PodDisruptionBudget = k<IPodDisruptionBudget>(BUILTIN_KINDS.PodDisruptionBudget);
export const HorizontalPodAutoscaler = k<IHorizontalPodAutoscaler>(BUILTIN_KINDS.HorizontalPodAutoscaler);

export interface CustomKindOptions {
  /** `group/version`, e.g. `example.com/v1`. */
  readonly apiVersion: string;
  readonly kind: string;
  /** Lowercase plural resource name; defaults to the lowercased kind plus "s". */
  readonly resource?: string;
  readonly namespaced?: boolean;
}

/** A custom resource's objects: the fields its schema declares, with the standard ones. */
export type CustomObject<T> = T & { apiVersion?: string; kind?: string; metadata?: IObjectMeta };

/**
 * A custom resource kind. With `schema` (a zod schema of the object's fields besides `apiVersion`,
 * `kind` and `metadata`, typically `{ spec }`), its fields are typed and checked at build time:
 *
 *     const Widget = customKind({ apiVersion: "example.com/v1", kind: "Widget",
 *       schema: z.object({ spec: z.object({ size: z.number() }) }) });
 *
 * Without one, say so: `customKind<Widget>({ apiVersion, kind, unchecked: true })` reads any field.
 */
export function customKind<S extends z.ZodType>(o: CustomKindOptions & { readonly schema: S }): Kind<CustomObject<z.output<S>>>;
export function customKind<T>(o: CustomKindOptions & { readonly unchecked: true }): Kind<T>;
export function customKind(o: CustomKindOptions & { readonly schema?: z.ZodType; readonly unchecked?: true }): Kind<unknown> {
  const slash = o.apiVersion.lastIndexOf("/");
  const ref: KindRef = {
    group: slash === -1 ? "" : o.apiVersion.slice(0, slash),
    version: slash === -1 ? o.apiVersion : o.apiVersion.slice(slash + 1),
    kind: o.kind,
    resource: o.resource ?? `${o.kind.toLowerCase()}s`,
    namespaced: o.namespaced ?? true,
  };
  if (o.schema !== undefined) {
    if (!(o.schema instanceof z.ZodType)) throw new SdkError("invalid_policy", `customKind ${o.kind}: schema must be a zod schema`);
    const schema = structuralSchemaOf(o.schema, "output");
    return { ...ref, schema };
  }
  if (o.unchecked !== true)
    throw new SdkError(
      "invalid_policy",
      `customKind ${o.kind}: give its schema (schema: z.object({ spec: … })) so field names are checked, or declare it unchecked: true`,
    );
  return { ...ref, unchecked: true };
}

export type KindsType<K extends readonly Kind<unknown>[]> = K[number] extends Kind<infer T> ? T : never;
