import { definePolicy, Deployment, StatefulSet } from "policyc";

// ACME's own policy: a workload belongs to the team that owns its namespace. Its tests are in
// test/team-label.test.ts (vitest, through policyc/testing).
export default definePolicy({
  name: "team-label-matches-namespace",
  title: "Workloads carry their namespace's team",
  description: "Cost reports and on-call routing read acme.io/team; a workload must carry the team of the namespace it runs in.",
  category: "ACME conventions",
  severity: "medium",
  match: { kinds: [Deployment, StatefulSet], excludeNamespaces: ["kube-system"] },
  validate: (w, _params, { namespaceObject }) =>
    w.metadata.labels.at("acme.io/team").equals(namespaceObject.metadata.labels.at("acme.io/team"))
      .message`${w.kind} ${w.metadata.name} must carry the team label of namespace ${w.metadata.namespace} (${namespaceObject.metadata.labels.at("acme.io/team")})`,
});
