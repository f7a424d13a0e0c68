import { definePolicy, Deployment } from "policyc";

const deployment = (selector: unknown, template: Record<string, string> | undefined, own?: Record<string, string>) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", ...(own ? { labels: own } : {}) },
  spec: { selector, template: { metadata: template === undefined ? {} : { labels: template } } },
});

export default definePolicy({
  name: "golden-selectors",
  title: "A Deployment's selector selects its own pods",
  match: { kinds: [Deployment] },
  rules: [
    {
      // A LabelSelector: matchLabels and matchExpressions, as Kubernetes matches them.
      name: "selects-its-pods",
      assert: (d) => d.spec.selector.selects(d.spec.template.metadata.labels),
      message: "the selector does not select the pod template's labels",
    },
    {
      // A plain map of labels as a selector (a Service's spec.selector): every pair present.
      name: "labelled-like-its-pods",
      when: (d) => d.metadata.labels.exists(),
      assert: (d) => d.metadata.labels.selects(d.spec.template.metadata.labels),
      message: "the pods do not carry the Deployment's labels",
    },
  ],
  tests: [
    { name: "matchLabels", resource: deployment({ matchLabels: { app: "web" } }, { app: "web", tier: "front" }), expect: "allow" },
    { name: "a label missing", resource: deployment({ matchLabels: { app: "web" } }, { tier: "front" }), expect: "deny", message: "does not select" },
    {
      name: "In and NotIn",
      resource: deployment({ matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }, { key: "tier", operator: "NotIn", values: ["db"] }] }, { app: "api" }),
      expect: "allow",
    },
    {
      name: "NotIn holds the value",
      resource: deployment({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] }, { tier: "db" }),
      expect: "deny",
    },
    {
      name: "Exists and DoesNotExist",
      resource: deployment({ matchExpressions: [{ key: "app", operator: "Exists" }, { key: "canary", operator: "DoesNotExist" }] }, { app: "x" }),
      expect: "allow",
    },
    { name: "an unknown operator selects nothing", resource: deployment({ matchExpressions: [{ key: "app", operator: "Near" }] }, { app: "x" }), expect: "deny" },
    { name: "the empty selector selects every pod", resource: deployment({}, undefined), expect: "allow" },
    { name: "a missing selector selects none", resource: deployment(undefined, { app: "web" }), expect: "deny" },
    { name: "a null matchLabels is none", resource: deployment({ matchLabels: null }, { app: "web" }), expect: "allow" },
    { name: "a malformed matchLabels selects none", resource: deployment({ matchLabels: "app=web" }, { app: "web" }), expect: "deny" },
    { name: "map selector holds", resource: deployment({}, { app: "web", tier: "front" }, { app: "web" }), expect: "allow" },
    {
      name: "map selector misses a pair",
      resource: deployment({}, { app: "web" }, { app: "web", team: "shop" }),
      expect: "deny",
      message: "do not carry the Deployment's labels",
    },
    { name: "an empty map selects none", resource: deployment({}, { app: "web" }, {}), expect: "deny" },
  ],
});
