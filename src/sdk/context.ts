import type { INamespace } from "kubernetes-models/v1/Namespace";
import { toValue, type Check } from "./check.js";
import { shapeOfKind, type Shape } from "./field-types.js";
import { activeElementNames, concat, makeRef, scopeRef, type ListRef, type Ref, type StringRef } from "./refs.js";
import { clusterRefs, type ClusterRefs, type LookupRefs } from "./lookups.js";

/** Who is making the request. */
export interface UserInfoRefs {
  readonly username: StringRef;
  readonly groups: ListRef<string>;
  /** The request comes from this service account (`system:serviceaccount:<namespace>:<name>`). */
  serviceAccount(namespace: unknown, name: unknown): Check;
  /** The request comes from some service account. */
  isServiceAccount(): Check;
}

/**
 * What a rule can read besides the object: the admission request and the cluster around it. The
 * old object, the operation and the user exist only at admission: a policy reading them is
 * admission-only (see README, "Admission context").
 */
export interface AdmissionContext<S> {
  /** The existing object on UPDATE and DELETE (for a pod policy, its pod or pod template); missing on CREATE. */
  readonly old: Ref<S>;
  /** CREATE, UPDATE, DELETE or CONNECT. */
  readonly operation: StringRef;
  readonly userInfo: UserInfoRefs;
  /** The request's namespace ("" for cluster-scoped objects). */
  readonly namespace: StringRef;
  /** The object's name. */
  readonly name: StringRef;
  /** The Namespace object of the request's namespace: `namespaceObject.metadata.labels.at("env")`. */
  readonly namespaceObject: Ref<INamespace>;
  /** Other objects of the cluster: `cluster.list(NetworkPolicy)`, `cluster.get(Role, name)` (docs/language.md, "Lookups"). */
  readonly cluster: ClusterRefs;
}

/** How lookups make references (refs.ts and check.ts, which import lookups.ts themselves). */
const LOOKUP_REFS: LookupRefs = {
  listRef: (list, item) => makeRef({ kind: "list", list, item }),
  objectRef: (variable, item, source) =>
    makeRef({ kind: "fields", refs: [{ kind: "field", scope: { kind: "element", variable }, path: [], source }], shape: item }),
  toValue,
};

const STRING: Shape = { kind: "scalar", type: "string" };
const object = (name: string, fields: Record<string, Shape>): Shape => ({
  kind: "object",
  name,
  fields: (f) => fields[f],
  names: () => Object.keys(fields),
});
/** The parts of the admission request a rule can read (see `REQUEST_PATHS` in ir/). */
const REQUEST: Shape = object("the admission request", {
  operation: STRING,
  namespace: STRING,
  name: STRING,
  userInfo: object("userInfo", { username: STRING, uid: STRING, groups: { kind: "list", name: "list of string", item: STRING } }),
});

/** The admission context of a policy whose objects have shape `subject`. */
export function admissionContext<S>(subject: Shape): AdmissionContext<S> {
  const request = scopeRef<{ operation: string; namespace: string; name: string; userInfo: { username: string; groups: string[] } }>(
    { kind: "request" },
    REQUEST,
  );
  const username = request.userInfo.username;
  return {
    old: scopeRef<S>({ kind: "oldSubject" }, subject),
    operation: request.operation,
    namespace: request.namespace,
    name: request.name,
    userInfo: {
      username,
      groups: request.userInfo.groups,
      serviceAccount: (namespace, name) => username.equals(concat("system:serviceaccount:", namespace, ":", name)),
      isServiceAccount: () => username.startsWith("system:serviceaccount:"),
    },
    namespaceObject: scopeRef<INamespace>({ kind: "namespace" }, shapeOfKind("v1", "Namespace")!),
    cluster: clusterRefs(LOOKUP_REFS, activeElementNames),
  };
}
