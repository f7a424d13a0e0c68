import { definePolicy, image, Pod } from "policyc";

const pod = (namespace: string, tag: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace },
  spec: { containers: [{ name: "app", image: `nginx:${tag}` }] },
});
const ns = (name: string, env?: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: env ? { env } : {} } });

export default definePolicy({
  name: "golden-namespace-labels",
  title: "No latest tags in production namespaces",
  match: { kinds: [Pod] },
  when: (_pod, _params, { namespaceObject }) => namespaceObject.metadata.labels.at("env").equals("prod"),
  validate: (pod) => pod.spec.allContainers.every((c) => image(c.image).tag.notEquals("latest").message`${c.name} uses the latest tag`),
  tests: [
    { name: "latest in prod", resource: pod("shop", "latest"), namespaces: [ns("shop", "prod")], expect: "deny", message: "app uses the latest tag" },
    { name: "pinned in prod", resource: pod("shop", "1.27"), namespaces: [ns("shop", "prod")], expect: "allow" },
    { name: "latest in dev", resource: pod("dev", "latest"), namespaces: [ns("dev", "dev")], expect: "skip" },
    { name: "a namespace the case does not describe", resource: pod("other", "latest"), expect: "skip" },
  ],
});
