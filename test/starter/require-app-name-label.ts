import { definePolicy, Deployment } from "policyc";

const LABEL = "app.kubernetes.io/name";

export default definePolicy({
  name: "require-app-name-label",
  title: "Require the app.kubernetes.io/name label",
  description: "Every Deployment names its application with the recommended label, so tools can group its resources.",
  category: "Best Practices",
  severity: "medium",
  match: { kinds: [Deployment], excludeNamespaces: ["kube-system"] },
  rules: [
    {
      name: "deployment-label",
      assert: (d) => d.metadata.labels.at(LABEL).matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"),
      message: `Deployments must carry the label ${LABEL} with a DNS-1123 value`,
    },
    {
      name: "pod-template-label",
      assert: (d) => d.spec.template.metadata.labels.at(LABEL).exists(),
      message: `The pod template must carry the label ${LABEL}`,
    },
  ],
  tests: [
    { resource: "fixtures/deployment-labelled.yaml", expect: "allow" },
    { resource: "fixtures/deployment-unlabelled.yaml", expect: "deny", message: LABEL },
    { resource: "fixtures/pod-privileged.yaml", expect: "skip" },
  ],
});
