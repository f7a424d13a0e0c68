import { lookedUpKinds, readsNamespace, type Policy } from "../../ir/index.js";
import { BUILTIN_KINDS, sameKind, type KindRef } from "../../kube/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

/** The kinds a policy's Rego reads from `data.inventory`: Namespaces (the request's), and every kind it looks up. */
export function syncedKinds(p: Policy): KindRef[] {
  const kinds = readsNamespace(p) ? [BUILTIN_KINDS.Namespace as KindRef] : [];
  for (const k of lookedUpKinds(p)) if (!kinds.some((x) => sameKind(x, k))) kinds.push(k);
  return kinds;
}

/**
 * Gatekeeper's `Config` (config.gatekeeper.sh/v1alpha1, the singleton `config` in
 * `gatekeeper-system`), syncing what the policies' Rego reads from `data.inventory`: Namespaces,
 * for policies that read the request's Namespace, and the kinds policies look up. One for all
 * policies, since a cluster has one Config; undefined when no policy needs cluster data. README
 * says how to merge it with a cluster's own Config.
 */
export function toGatekeeperSyncConfig(policies: readonly Policy[]): Document | undefined {
  const readers = policies.filter((p) => p.targets.gatekeeper.enabled && syncedKinds(p).length > 0);
  if (readers.length === 0) return undefined;
  const kinds: KindRef[] = [];
  for (const p of readers) for (const k of syncedKinds(p)) if (!kinds.some((x) => sameKind(x, k))) kinds.push(k);
  const key = (k: KindRef) => `${k.group}/${k.version}/${k.kind}`;
  kinds.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    apiVersion: "config.gatekeeper.sh/v1alpha1",
    kind: "Config",
    metadata: {
      name: "config",
      namespace: "gatekeeper-system",
      labels: { ...MANAGED_BY },
      annotations: { "policyc/synced-for": readers.map((p) => p.name).join(",") },
    },
    spec: { sync: { syncOnly: kinds.map((k) => ({ group: k.group, version: k.version, kind: k.kind })) } },
  };
}
