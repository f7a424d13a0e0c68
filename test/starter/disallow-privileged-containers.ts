import { definePolicy, Pod } from "policyc";

export default definePolicy({
  name: "disallow-privileged-containers",
  title: "Disallow privileged containers",
  description: "Privileged containers share the host's devices and kernel capabilities. Pod Security Standards (Baseline) forbid them.",
  category: "Pod Security Standards (Baseline)",
  severity: "high",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.allContainers.every(
      (c) => c.securityContext.privileged.notEquals(true).message`Privileged container ${c.name} is not allowed`,
    ),
  tests: [
    { resource: "fixtures/pod-unprivileged.yaml", expect: "allow" },
    { resource: "fixtures/pod-privileged.yaml", expect: "deny", message: "Privileged container app" },
    { resource: "fixtures/pod-privileged-init.yaml", expect: "deny", message: "Privileged container init" },
    { resource: "fixtures/deployment-privileged.yaml", expect: "deny" },
    { resource: "fixtures/cronjob-unprivileged.yaml", expect: "allow" },
  ],
});
