// A pod policy with an exception of every shape a target places differently (see docs/exceptions.md).
import { DaemonSet, Deployment, defineException, definePolicy, Pod } from "policyc";

export const hostNetwork = definePolicy({
  name: "no-host-network",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostNetwork.notEquals(true).message`${pod.metadata.name} must not use the host's network`,
  tests: [{ name: "an app pod", resource: "fixtures/pods.yaml", expect: "deny" }],
});

// Namespaces alone: the VAP binding's namespaceSelector, the Constraint's excludedNamespaces.
export const system = defineException({
  name: "system-namespace",
  policies: [hostNetwork],
  match: { namespaces: ["kube-system"] },
  reason: "node agents live in kube-system",
  tests: [
    { resource: "fixtures/kube-system-pod.yaml", expect: "allow" },
    { name: "a namespace with a similar name", resource: "fixtures/kube-system-lookalike.yaml", expect: "deny" },
  ],
});

// Exact names of one kind: the binding's excludeResourceRules.resourceNames; Rego for Gatekeeper.
export const exporter = defineException({
  name: "node-exporter",
  policies: [hostNetwork],
  match: { kinds: [DaemonSet], names: ["node-exporter"] },
  reason: "metrics from the node's network stack",
  tests: [
    { resource: "fixtures/node-exporter.yaml", expect: "allow" },
    { name: "a Deployment with the same name", resource: "fixtures/node-exporter-deployment.yaml", expect: "deny" },
  ],
});

// One label requirement: the Constraint's labelSelector (NotIn); the VAP's own match conditions.
export const approved = defineException({
  name: "approved-label",
  policies: [hostNetwork],
  match: { labels: { matchLabels: { "acme.io/host-network": "approved" } } },
  reason: "reviewed by the network team",
  tests: [
    { resource: "fixtures/approved.yaml", expect: "allow" },
    { name: "the label with another value", resource: "fixtures/approved-other-value.yaml", expect: "deny" },
  ],
});

// A glob, a kind and a service account together: match conditions and Rego.
export const deployer = defineException({
  name: "ci-deployer",
  policies: [hostNetwork],
  match: { kinds: [Deployment], names: ["lb-*"], serviceAccounts: ["ci:deployer"] },
  reason: "the load balancer's speakers, rolled out by CI",
  tests: [
    {
      resource: "fixtures/lb-speaker.yaml",
      userInfo: { username: "system:serviceaccount:ci:deployer", groups: ["system:serviceaccounts"] },
      expect: "allow",
    },
    {
      name: "the same Deployment applied by a person",
      resource: "fixtures/lb-speaker.yaml",
      userInfo: { username: "alice" },
      expect: "deny",
    },
    {
      name: "another Deployment by the deployer",
      resource: "fixtures/node-exporter-deployment.yaml",
      userInfo: { username: "system:serviceaccount:ci:deployer" },
      expect: "deny",
    },
  ],
});
