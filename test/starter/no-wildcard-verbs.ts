import { ClusterRole, definePolicy, Role } from "policyc";

export default definePolicy({
  name: "no-wildcard-verbs",
  title: "No wildcard verbs in Roles and ClusterRoles",
  description: "A rule granting every verb ('*') is rarely least privilege: list the verbs the subject needs.",
  category: "RBAC (least privilege)",
  severity: "high",
  match: { kinds: [Role, ClusterRole] },
  enforcement: "audit",
  validate: (role) => role.rules.none((rule) => rule.verbs.includes("*")).message`Role ${role.metadata.name} grants the wildcard verb '*'`,
  tests: [
    { resource: "fixtures/role-read-only.yaml", expect: "allow" },
    { resource: "fixtures/clusterrole-wildcard.yaml", expect: "deny", message: "wildcard" },
  ],
});
