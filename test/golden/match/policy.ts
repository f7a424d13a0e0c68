import { ConfigMap, definePolicy, Secret } from "policyc";

export default definePolicy({
  name: "golden-match",
  title: "Secrets and ConfigMaps carry an owner",
  description: 'Quotes "like this", a backslash \\ and a newline\nin user text.',
  category: "Best Practices",
  severity: "low",
  enforcement: "warn",
  match: {
    kinds: [Secret, ConfigMap],
    excludeNamespaces: ["kube-system", "kube-public"],
    labels: { matchExpressions: [{ key: "policy.example.com/skip", operator: "DoesNotExist" }] },
    namespaceLabels: { matchLabels: { "env": "prod" } },
    operations: ["CREATE", "UPDATE", "DELETE"],
  },
  when: (o) => o.metadata.name.startsWith("app-"),
  validate: (o) => o.metadata.annotations.at("owner").matches("^[a-z]+@example\\.com$").message`${o.metadata.name} needs an owner annotation ("team@example.com"), got '${o.metadata.annotations.at("owner")}'`,
});
