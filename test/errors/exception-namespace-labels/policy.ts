import { defineException, definePolicy, Pod } from "policyc";

export const hostNetwork = definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});

// A PolicyException's match conditions cannot read the namespace's labels: Kyverno cannot carry this.
export const system = defineException({
  name: "system-namespaces",
  policies: [hostNetwork],
  match: {
    namespaceLabels: { matchLabels: { "acme.io/tier": "system" } },
  },
  reason: "system namespaces run node agents",
});
