// ACME's exceptions: each names the policies it exempts (the objects themselves, so a typo does not
// compile), what it exempts, and why; `policyc build` emits it for every target, `policyc test`
// runs its cases on every engine.
import { DaemonSet, Pod, ClusterRoleBinding, defineException } from "policyc";
import { clusterAdmins, hostNamespaces } from "./library.ts";

// Cilium's agent runs in the host's network namespace. Its DaemonSet and the pods it creates
// (named cilium-<random>) are exempt in kube-system, and nothing else is.
export const ciliumHostNetwork = defineException({
  name: "cilium-host-network",
  policies: [hostNamespaces],
  match: { kinds: [DaemonSet, Pod], namespaces: ["kube-system"], names: ["cilium", "cilium-*"] },
  reason: "The CNI agent configures the node's network; it needs hostNetwork (PLAT-112)",
  tests: [
    { name: "the agent and its pods", resource: "fixtures/cilium-daemonset.yaml", expect: "allow" },
    { name: "neighbours", resource: "fixtures/host-network-neighbours.yaml", expect: "deny", message: "hostNetwork" },
  ],
});

// During an incident, members of acme:break-glass may bind cluster-admin. Reviewed quarterly.
export const breakGlass = defineException({
  name: "break-glass-cluster-admin",
  policies: [clusterAdmins],
  match: { kinds: [ClusterRoleBinding], groups: ["acme:break-glass"] },
  reason: "Incident response: the on-call break-glass group may grant cluster-admin (SEC-2024-17)",
  expires: "2099-12-31",
  tests: [
    {
      name: "bound by the break-glass group",
      resource: "fixtures/cluster-admin-binding.yaml",
      userInfo: { username: "oncall@acme.io", groups: ["acme:break-glass", "system:authenticated"] },
      expect: "allow",
    },
    {
      name: "bound by anyone else",
      resource: "fixtures/cluster-admin-binding.yaml",
      userInfo: { username: "dev@acme.io", groups: ["acme:developers", "system:authenticated"] },
      expect: "deny",
      message: "User dana@acme.io may not be bound to cluster-admin",
    },
  ],
});
