import { defineException, definePolicy, Pod } from "policyc";

export const hostNetwork = definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});

// JavaScript, or a value typed any, can leave the reason out: the build says where.
export const cni = defineException({
  name: "cni",
  policies: [hostNetwork],
  match: { namespaces: ["kube-system"] },
  reason: "   ",
});
