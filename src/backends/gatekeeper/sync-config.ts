import { readsNamespace, type Policy } from "../../ir/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

/**
 * Gatekeeper's `Config` (config.gatekeeper.sh/v1alpha1, the singleton `config` in
 * `gatekeeper-system`), syncing what the policies' Rego reads from `data.inventory`: Namespaces,
 * for policies that read the request's Namespace. One for all policies, since a cluster has one
 * Config; undefined when no policy needs cluster data. README says how to merge it with a
 * cluster's own Config.
 */
export function toGatekeeperSyncConfig(policies: readonly Policy[]): Document | undefined {
  const readers = policies.filter((p) => p.targets.gatekeeper.enabled && readsNamespace(p));
  if (readers.length === 0) return undefined;
  return {
    apiVersion: "config.gatekeeper.sh/v1alpha1",
    kind: "Config",
    metadata: {
      name: "config",
      namespace: "gatekeeper-system",
      labels: { ...MANAGED_BY },
      annotations: { "policyc/synced-for": readers.map((p) => p.name).join(",") },
    },
    spec: { sync: { syncOnly: [{ group: "", version: "v1", kind: "Namespace" }] } },
  };
}
