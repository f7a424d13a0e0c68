import { z } from "zod";
import { isNamespacedKind } from "./kinds.js";
import type { DeepReadonly } from "./readonly.js";
import type { Operation } from "./operations.js";

/** A Kubernetes object as JSON. */
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

/** The requesting user (authentication.k8s.io UserInfo). */
export const userInfoSchema = z
  .object({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).optional(),
    extra: z.record(z.string(), z.array(z.string())).optional(),
  })
  .strict();
export type UserInfo = DeepReadonly<z.infer<typeof userInfoSchema>>;

/** The user of requests that name none: what a cluster admin running the tests would be. */
export const DEFAULT_USER: UserInfo = { username: "policyc-test", groups: ["system:authenticated"] };

/**
 * The user as the API server sends it in an admission request: the test default for what the
 * case does not say, and empty fields left out, as Go's `omitempty` leaves them out of the JSON.
 */
export function sentUserInfo(u: UserInfo | undefined): UserInfo {
  const merged: Record<string, unknown> = { ...DEFAULT_USER, ...(u ?? {}) };
  const empty = (v: unknown) =>
    v === undefined ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && Object.keys(v).length === 0);
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => !empty(v))) as UserInfo;
}

/** An authorizer answer: `allowed` for the check described (fields left out match anything). */
export const authorizerAnswerSchema = z
  .object({
    group: z.string().optional(),
    resource: z.string().optional(),
    subresource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    verb: z.string().optional(),
    path: z.string().optional(),
    allowed: z.boolean(),
    reason: z.string().optional(),
  })
  .strict();
export type AuthorizerAnswer = DeepReadonly<z.infer<typeof authorizerAnswerSchema>>;

/** The cluster a request is admitted into: namespaces, and the objects lookups can see. */
export interface ClusterState {
  /** Namespace objects by name. */
  readonly namespaces?: Readonly<Record<string, KubeObject>>;
  /** Every other object the cluster holds (Gatekeeper inventory, params, resource lookups). */
  readonly objects?: readonly KubeObject[];
  /**
   * What lies outside the cluster, as a Kyverno CLI test's Context file describes it for Kyverno's
   * CEL libraries: registry data for images (`image.GetMetadata`), global context entries
   * (`globalContext.Get`) and HTTP answers (`http.Get`, `http.Post`).
   */
  readonly external?: ExternalData;
}

export interface ExternalData {
  /** The objects `resource.Get` and `resource.List` answer from (the Context file's `spec.resources`). */
  readonly resources?: readonly KubeObject[];
  readonly images?: readonly Readonly<Record<string, unknown>>[];
  readonly globalContext?: readonly { readonly name: string; readonly projection?: string; readonly value?: unknown }[];
  readonly http?: readonly {
    readonly method: string;
    readonly url: string;
    readonly status?: number;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: unknown;
  }[];
}

/** An admission request as the engines see it: what a test case, a suite row or a manifest describes. */
export interface AdmissionRequest {
  readonly operation: Operation;
  /** The object (absent on DELETE). */
  readonly object?: KubeObject;
  /** The existing object (UPDATE and DELETE). */
  readonly oldObject?: KubeObject;
  readonly userInfo?: UserInfo;
  readonly dryRun?: boolean;
  readonly cluster?: ClusterState;
  readonly authorizer?: readonly AuthorizerAnswer[];
  /**
   * The objects' numbers are all doubles, as the Kyverno CLI's test command reads its resources
   * (it converts every number to float64 before any policy sees them).
   */
  readonly numbersAsDoubles?: boolean;
}

/** The object a request is about: `object`, or `oldObject` on DELETE. */
export function subjectObject(req: AdmissionRequest): KubeObject | undefined {
  return req.operation === "DELETE" ? (req.oldObject ?? req.object) : (req.object ?? req.oldObject);
}

/** Whether an object lives in a namespace (built-in kinds by table; others unless known cluster-scoped). */
export function isNamespaced(o: KubeObject | undefined): boolean {
  if (!o) return true;
  return isNamespacedKind(o.apiVersion, o.kind);
}

/**
 * The object as kubectl and the Kyverno CLI create it: a namespaced object without
 * `metadata.namespace` goes to `default`; a cluster-scoped object's `metadata.namespace` is
 * dropped, as the API server drops it before admission (a ClusterRole is never in a namespace).
 * `namespaced` may know more kinds (CRDs) than the table.
 */
export function inDefaultNamespace(
  o: KubeObject,
  namespaced: (o: KubeObject) => boolean = isNamespaced,
  /** The namespace of `kubectl apply -n`: where objects without one go (default: `default`). */
  namespace = "default",
): KubeObject {
  if (!namespaced(o)) {
    if (o.metadata?.namespace === undefined) return o;
    const { namespace: _ignored, ...metadata } = o.metadata;
    return { ...o, metadata };
  }
  if (o.metadata?.namespace) return o;
  return { ...o, metadata: { ...o.metadata, namespace } };
}

/**
 * Whether an object lives in a namespace, knowing the scope of custom kinds: the kinds
 * `clusterScoped` names, and those of CustomResourceDefinitions among `objects` with
 * `spec.scope: Cluster`, are cluster-scoped.
 */
export function namespacedKnowing(objects: readonly KubeObject[], clusterScoped: readonly string[] = []): (o: KubeObject) => boolean {
  const kinds = new Set(clusterScoped);
  for (const x of objects) {
    const spec = (x as { spec?: { scope?: string; names?: { kind?: string } } }).spec;
    if (x.kind === "CustomResourceDefinition" && spec?.scope === "Cluster" && spec.names?.kind) kinds.add(spec.names.kind);
  }
  return (o) => !kinds.has(String(o.kind)) && isNamespaced(o);
}

/** The object's namespace: its own, else "default" for namespaced kinds without one, as kubectl does. */
export function namespaceOf(o: KubeObject | undefined): string | undefined {
  return o?.metadata?.namespace ?? (isNamespaced(o) ? "default" : undefined);
}
