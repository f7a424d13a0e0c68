import { defineException, definePolicy, Pod, type ExceptionSpec } from "policyc";

export const hostNetwork = definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true),
});

// No reason at all (a value typed any, or JavaScript): located at the call, naming the field.
const spec = { name: "cni", policies: [hostNetwork], match: { namespaces: ["kube-system"] } };
export const cni = defineException(spec as unknown as ExceptionSpec);
