import { definePolicy, Deployment, NetworkPolicy, Service } from "policyc";

const web = (namespace = "shop") => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace },
  spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } } } },
});
const netpol = (namespace: string, podSelector: unknown, name = "default-deny") => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace, labels: { "policy.acme.io/kind": "baseline" } },
  spec: { podSelector, policyTypes: ["Ingress"] },
});
const service = (name: string, namespace = "shop") => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: { selector: { app: "web" } } });

export default definePolicy({
  name: "golden-lookups",
  title: "Deployments are isolated, exposed and unique",
  match: { kinds: [Deployment] },
  rules: [
    {
      // A list in the request's namespace, narrowed by a label, and a selector read from each object.
      name: "isolated",
      assert: (d, _p, ctx) =>
        ctx.cluster
          .list(NetworkPolicy, { labels: { "policy.acme.io/kind": "baseline" } })
          .some((np) => np.spec.podSelector.selects(d.spec.template.metadata.labels)),
      message: "no baseline NetworkPolicy selects the pods",
    },
    {
      // get(): one object by name; its fields read as missing when there is none.
      name: "exposed",
      assert: (d, _p, ctx) => ctx.cluster.get(Service, d.metadata.name).spec.selector.selects(d.spec.template.metadata.labels),
      message: "no Service of the Deployment's name selects its pods",
    },
    {
      // The whole cluster, leaving out the object under review: others of the same name elsewhere.
      name: "unique-name",
      assert: (d, _p, ctx) => ctx.cluster.list(Deployment, { allNamespaces: true }).none((other) => other.metadata.name.equals(d.metadata.name)),
      message: "another Deployment has this name",
    },
  ],
  tests: [
    { name: "isolated and exposed", resource: web(), cluster: [netpol("shop", {}), service("web")], expect: "allow" },
    { name: "an empty cluster", resource: web(), expect: "deny", message: "no baseline NetworkPolicy", violations: 2 },
    { name: "a NetworkPolicy of another namespace", resource: web(), cluster: [netpol("other", {}), service("web")], expect: "deny", violations: 1 },
    {
      name: "a NetworkPolicy without the label",
      resource: web(),
      cluster: [{ ...netpol("shop", {}), metadata: { name: "x", namespace: "shop" } }, service("web")],
      expect: "deny",
    },
    { name: "a Service of another name", resource: web(), cluster: [netpol("shop", {}), service("api")], expect: "deny", message: "no Service" },
    { name: "another Deployment of this name", resource: web(), cluster: [netpol("shop", {}), service("web"), web("other")], expect: "deny", message: "another Deployment" },
    {
      name: "its own old version is not another",
      resource: web(),
      operation: "UPDATE",
      oldResource: web(),
      cluster: [netpol("shop", {}), service("web"), web()],
      expect: "allow",
    },
  ],
  skip: { kubernetes: "a ValidatingAdmissionPolicy cannot read other objects of the cluster" },
});
