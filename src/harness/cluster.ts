/**
 * A cluster given as fixtures: the objects a case runs among (`cluster:` in a case), or that
 * `apply` sees besides its inputs (`--cluster`). Lookups, params and Gatekeeper's inventory read
 * them. Each is a Kubernetes object with a name; `List` objects are read item by item; no object
 * is there twice; Namespaces are the cluster's namespaces (their labels). Bounded: a cluster of more
 * than CLUSTER_LIMITS.objects objects is refused where the limit is crossed.
 */
import type { Issue } from "../ir/index.js";
import { isNamespaced, type ClusterState, type KubeObject } from "../kube/index.js";
import type { Fixture } from "./fixtures.js";

export const CLUSTER_LIMITS = {
  /** Objects in one cluster: the whole set is held in memory by every engine, indexed once. */
  objects: 50_000,
  /** Bytes of one cluster file (a `kubectl get -A -o yaml` dump): larger than a fixture's. */
  fileBytes: 64 * 1024 * 1024,
} as const;

/** Where an object of the cluster was read (for its issue): a fixture, and the List item if it is one. */
export type ClusterProblem = (message: string, at: Fixture, item?: number) => Issue;

const isList = (o: KubeObject) => typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray((o as { items?: unknown }).items);

/**
 * The cluster of these fixtures, or the first problem: an item that is not a Kubernetes object
 * with a name, an object given twice (same apiVersion, kind, namespace and name), too many objects.
 * A namespaced object without a namespace is in `default`, as kubectl puts it.
 */
export function clusterFromFixtures(
  fixtures: readonly Fixture[],
  problem: ClusterProblem,
  base: ClusterState = {},
): ClusterState | { issue: Issue } {
  const namespaces: Record<string, KubeObject> = { ...(base.namespaces ?? {}) };
  const objects: KubeObject[] = [...(base.objects ?? [])];
  const seen = new Set<string>();
  for (const o of [...Object.values(namespaces), ...objects]) seen.add(identity(o));
  for (const f of fixtures) {
    const items: [unknown, number | undefined][] = isList(f.object)
      ? (f.object as { items: unknown[] }).items.map((x, i) => [x, i])
      : [[f.object, undefined]];
    for (const [x, item] of items) {
      const o = x as KubeObject;
      const bad = (message: string) => ({ issue: problem(message, f, item) });
      if (!x || typeof x !== "object" || Array.isArray(x) || typeof o.apiVersion !== "string" || typeof o.kind !== "string")
        return bad("a cluster object must be a Kubernetes object (apiVersion, kind, metadata.name)");
      const name = o.metadata?.name;
      if (typeof name !== "string" || name === "") return bad(`the ${o.kind} has no metadata.name: a cluster holds named objects`);
      const placed = isNamespaced(o) && !o.metadata?.namespace ? { ...o, metadata: { ...o.metadata, namespace: "default" } } : o;
      const id = identity(placed);
      if (seen.has(id)) return bad(`the cluster already holds ${describe(placed)}: an object is in a cluster once`);
      seen.add(id);
      if (seen.size > CLUSTER_LIMITS.objects)
        return bad(`the cluster holds more than ${CLUSTER_LIMITS.objects} objects, more than policyc evaluates against (CLUSTER_LIMITS)`);
      if (placed.kind === "Namespace" && placed.apiVersion === "v1") namespaces[name] = placed;
      else objects.push(placed);
    }
  }
  return { namespaces, objects };
}

function identity(o: KubeObject): string {
  return [o.apiVersion, o.kind, o.metadata?.namespace ?? "", o.metadata?.name ?? ""].join("\0");
}

function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name} (${o.apiVersion})`;
}
