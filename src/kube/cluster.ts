/**
 * The objects a cluster holds, as a lookup reads them: by apiVersion and kind, then namespace, in
 * the API server's list order (by namespace, then name: the order of its storage keys, which
 * Gatekeeper's inventory and Kyverno's `resource.List` both follow). Indexed once per cluster
 * object, so a run over thousands of resources does not scan every object for every lookup.
 */
import { storedNamespace } from "./labels.js";
import type { ClusterState, KubeObject } from "./admission.js";

interface KindObjects {
  readonly all: readonly KubeObject[];
  readonly byNamespace: ReadonlyMap<string, readonly KubeObject[]>;
}

export type ClusterIndex = ReadonlyMap<string, KindObjects>;

const indexes = new WeakMap<ClusterState, ClusterIndex>();
const EMPTY: ClusterIndex = new Map();

const kindKey = (apiVersion: string, kind: string) => `${apiVersion}\0${kind}`;

/** Byte order of the storage key `namespace/name` (names are ASCII, so code units order them alike). */
function listOrder(a: KubeObject, b: KubeObject): number {
  const ka = `${a.metadata?.namespace ?? ""}/${a.metadata?.name ?? ""}`;
  const kb = `${b.metadata?.namespace ?? ""}/${b.metadata?.name ?? ""}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The cluster's objects (its Namespaces as stored, with their name label, and every other object) by kind and namespace. */
export function clusterIndex(cluster: ClusterState | undefined): ClusterIndex {
  if (!cluster) return EMPTY;
  const index = indexes.get(cluster);
  if (index) return index;
  const groups = new Map<string, KubeObject[]>();
  for (const o of clusterObjects(cluster)) {
    const key = kindKey(String(o.apiVersion ?? ""), String(o.kind ?? ""));
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(o);
  }
  const built = new Map<string, KindObjects>();
  for (const [key, list] of groups) {
    const all = list.sort(listOrder);
    const byNamespace = new Map<string, KubeObject[]>();
    for (const o of all) {
      const ns = o.metadata?.namespace ?? "";
      let l = byNamespace.get(ns);
      if (!l) byNamespace.set(ns, (l = []));
      l.push(o);
    }
    built.set(key, { all, byNamespace });
  }
  indexes.set(cluster, built);
  return built;
}

const identity = (o: KubeObject) => [o.apiVersion, o.kind, o.metadata?.namespace ?? "", o.metadata?.name ?? ""].join("\0");

/**
 * Every object of a cluster once, as every engine is given it: its Namespaces as stored (with
 * their name label), then its other objects; an object of an identity already there (apiVersion,
 * kind, namespace, name) replaces the earlier one, as a later `kubectl apply` of it would.
 */
export function clusterObjects(cluster: ClusterState): KubeObject[] {
  const byIdentity = new Map<string, KubeObject>();
  for (const [name, ns] of Object.entries(cluster.namespaces ?? {})) {
    const stored = storedNamespace(name, ns) as KubeObject;
    byIdentity.set(identity(stored), stored);
  }
  for (const o of cluster.objects ?? []) {
    // A Namespace given both ways is the namespaces' one (its labels are what selectors read).
    if (o.kind === "Namespace" && o.apiVersion === "v1" && cluster.namespaces?.[String(o.metadata?.name)]) continue;
    byIdentity.set(identity(o), o);
  }
  return [...byIdentity.values()];
}

/** The objects of a kind, in one namespace or (undefined) every one, in list order. */
export function objectsOf(index: ClusterIndex, apiVersion: string, kind: string, namespace?: string): readonly KubeObject[] {
  const k = index.get(kindKey(apiVersion, kind));
  if (!k) return [];
  return namespace === undefined ? k.all : (k.byNamespace.get(namespace) ?? []);
}
