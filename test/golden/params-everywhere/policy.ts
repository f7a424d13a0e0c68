import { Deployment, definePolicy, z } from "policyc";

const deployment = (labels: Record<string, string>, replicas = 2) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels },
  spec: { replicas, template: { spec: { containers: [{ name: "app", image: "nginx" }] } } },
});

export default definePolicy({
  name: "golden-params-everywhere",
  title: "Labels and replicas as each team sets them",
  match: { kinds: [Deployment] },
  params: z.object({
    required: z.array(z.object({ key: z.string(), pattern: z.string() })),
    requireTeam: z.boolean().default(true),
    teamKey: z.string().default("team"),
    maxReplicas: z.number().int().default(10),
  }),
  instances: [
    { name: "strict", params: { required: [{ key: "app.kubernetes.io/name", pattern: "^[a-z0-9-]+$" }] } },
    { name: "lax", params: { required: [], requireTeam: false, teamKey: "owner", maxReplicas: 3 } },
  ],
  rules: [
    {
      name: "required-labels",
      assert: (d, params) =>
        params.required.every((r) => d.metadata.labels.at(r.key).matches(r.pattern).message`label ${r.key} must match ${r.pattern}`),
    },
    { name: "team", when: (_d, params) => params.requireTeam, assert: (d, params) => d.metadata.labels.at(params.teamKey).exists(), message: "a team label is required" },
    { name: "replicas", assert: (d, params) => d.spec.replicas.lte(params.maxReplicas), message: "too many replicas" },
  ],
  tests: [
    { name: "strict: labelled", resource: deployment({ "app.kubernetes.io/name": "web", team: "a" }), instance: "strict", expect: "allow" },
    {
      name: "strict: bad name label",
      resource: deployment({ "app.kubernetes.io/name": "Web!", team: "a" }),
      instance: "strict",
      expect: "deny",
      message: "label app.kubernetes.io/name must match ^[a-z0-9-]+$",
    },
    { name: "strict: no team", resource: deployment({ "app.kubernetes.io/name": "web" }), instance: "strict", expect: "deny", message: "team label" },
    { name: "lax: nothing required", resource: deployment({}), instance: "lax", expect: "allow" },
    { name: "lax: replicas over the instance's maximum", resource: deployment({}, 4), instance: "lax", expect: "deny", message: "too many replicas" },
    { name: "strict: replicas within", resource: deployment({ "app.kubernetes.io/name": "web", team: "a" }, 4), instance: "strict", expect: "allow" },
  ],
});
