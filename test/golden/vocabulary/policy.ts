import { and, definePolicy, implies, not, or, Pod } from "policyc";

// Every item of the rule vocabulary, one rule each, over real Pod fields.
export default definePolicy({
  name: "golden-vocabulary",
  match: { kinds: [Pod] },
  rules: [
    { name: "exists", assert: (p) => p.metadata.labels.at("team").exists() },
    { name: "absent", assert: (p) => p.spec.hostNetwork.absent() },
    { name: "equals", assert: (p) => p.spec.restartPolicy.equals("Always") },
    { name: "not-equals", assert: (p) => p.spec.hostPID.notEquals(true) },
    { name: "one-of", assert: (p) => p.spec.dnsPolicy.oneOf(["ClusterFirst", "Default"]) },
    { name: "not-one-of", assert: (p) => p.spec.containers.every((c) => c.imagePullPolicy.notOneOf(["Never"])) },
    { name: "prefix", assert: (p) => p.spec.containers.every((c) => c.image.startsWith(["registry.example.com/", "ghcr.io/example/"])) },
    { name: "suffix", assert: (p) => p.spec.containers.every((c) => not(c.image.endsWith(":latest"))) },
    { name: "contains", assert: (p) => p.spec.containers.every((c) => not(c.image.contains("@sha256:")).message`Container ${c.name} pins a digest` ) },
    { name: "regex", assert: (p) => p.metadata.name.matches("^[a-z0-9-]{1,40}$") },
    { name: "glob", assert: (p) => p.spec.serviceAccountName.glob("app-*") },
    { name: "numeric", assert: (p) => p.spec.containers.every((c) => c.securityContext.runAsUser.gte(1000)) },
    { name: "quantity", assert: (p) => p.spec.containers.every((c) => c.resources.limits.at("memory").quantity().lte("1Gi")) },
    { name: "all-of", assert: (p) => p.spec.allContainers.every((c) => c.securityContext.allowPrivilegeEscalation.equals(false)) },
    { name: "any-of", assert: (p) => p.spec.volumes.some((v) => v.emptyDir.exists()) },
    { name: "none-of", assert: (p) => p.spec.volumes.none((v) => v.hostPath.path.startsWith("/var/run")).message`Volume ${p.metadata.name} mounts the host` },
    { name: "ports", assert: (p) => p.spec.containers.every((c) => c.ports.every((port) => port.hostPort.absent().message`Container ${c.name} uses hostPort ${port.hostPort}`)) },
    { name: "capabilities", assert: (p) => p.spec.containers.every((c) => c.securityContext.capabilities.add.every((cap) => cap.oneOf(["NET_BIND_SERVICE"]))) },
    { name: "env", assert: (p) => p.spec.containers.every((c) => c.env.none((e) => e.name.matches("(?i)password").message`Container ${c.name} sets ${e.name} in plain text`)) },
    { name: "count", assert: (p) => p.spec.containers.count().lte(5) },
    { name: "logic", assert: (p) => or(and(p.spec.securityContext.runAsNonRoot.isTrue(), p.spec.securityContext.seccompProfile.type.exists()), p.metadata.annotations.at("policy.example.com/exempt").equals("true")) },
    { name: "precondition", when: (p) => p.metadata.labels.at("tier").equals("frontend"), assert: (p) => p.spec.automountServiceAccountToken.isFalse() },
    { name: "implies", assert: (p) => implies(p.spec.hostIPC.isTrue(), p.metadata.namespace.equals("kube-system")) },
  ],
});
