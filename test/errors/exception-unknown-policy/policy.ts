import { defineException, definePolicy, Pod } from "policyc";

// Defined, but exported by no policy file: policyc would build no policy for the exception to exempt.
const hostNetwork = definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});

export const privileged = definePolicy({
  name: "no-privileged",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.containers.every((c) => c.securityContext.privileged.notEquals(true)),
});

export const cni = defineException({
  name: "cni",
  policies: [privileged,
    hostNetwork],
  match: { namespaces: ["kube-system"] },
  reason: "the CNI agent",
});
