import { and, definePolicy, Pod } from "policyc";

const pod = (privileged: boolean, escalation: boolean) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "shop" },
  spec: { initContainers: [{ name: "init", image: "busybox", securityContext: { privileged, allowPrivilegeEscalation: escalation } }], containers: [] },
});

export default definePolicy({
  name: "golden-messages",
  title: "Restricted security contexts",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.initContainers.every((c) =>
      and(
        c.securityContext.privileged.notEquals(true).message`${c.name} is privileged`,
        c.securityContext.allowPrivilegeEscalation.equals(false).message`${c.name} may escalate privileges`,
      ),
    ),
  tests: [
    { name: "both", resource: pod(true, true), expect: "deny", violations: 2 },
    { name: "privileged", resource: pod(true, false), expect: "deny", message: "init is privileged" },
    { name: "escalation", resource: pod(false, true), expect: "deny", message: "init may escalate privileges" },
    { name: "neither", resource: pod(false, false), expect: "allow" },
  ],
});
