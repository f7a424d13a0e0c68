import { DaemonSet, defineException, definePolicy, Pod } from "policyc";

const hostNetwork = definePolicy({
  name: "golden-exceptions",
  title: "Disallow host networking",
  match: { kinds: [Pod], operations: ["CREATE", "UPDATE", "DELETE"] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});
export default hostNetwork;

// Each is emitted with the policy it names, with its target's own mechanism (docs/exceptions.md).
export const namespaces = defineException({
  name: "golden-namespaces",
  policies: [hostNetwork],
  match: { namespaces: ["kube-system", "cni"] },
  reason: "node agents",
});

export const names = defineException({
  name: "golden-names",
  policies: [hostNetwork],
  match: { kinds: [DaemonSet], names: ["node-exporter", "kube-proxy"] },
  reason: "metrics and service proxy",
});

export const label = defineException({
  name: "golden-label",
  policies: [hostNetwork],
  match: { labels: { matchExpressions: [{ key: "acme.io/host-network", operator: "Exists" }] } },
  reason: "approved by label",
});

export const everything = defineException({
  name: "golden-conjunction",
  policies: [hostNetwork],
  match: {
    kinds: [Pod],
    namespaces: ["monitoring"],
    names: ["probe-?", "agent-*"],
    labels: { matchLabels: { "app.kubernetes.io/part-of": "observability" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] },
    users: ["alice"],
    groups: ["acme:sre"],
    serviceAccounts: ["flux-system:kustomize-controller"],
  },
  reason: "the \"observability\" agents\nsecond line",
  expires: "2099-12-31",
});
