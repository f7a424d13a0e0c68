import { defineException, definePolicy, Pod } from "policyc";

export const hostNetwork = definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});

export const cni = defineException({
  name: "cni",
  policies: [hostNetwork],
  match: { namespaces: ["kube-system"] },
  reason: "the CNI agent, until the migration to the new CNI",
  expires: "2024-06-30",
});
