// Messages never show a hole, on every target alike: a pod policy names a controller by the
// controller's own name (a pod template has none), and a value that is missing renders as
// <missing>. The static `message` of the CEL targets keeps every character of the template.
import { definePolicy, Pod } from "policyc";

const deployment = (aliases: boolean, labels: Record<string, string> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "app", image: "nginx" }], ...(aliases ? { hostAliases: [{ ip: "10.0.0.1", hostnames: ["x"] }] } : {}) },
    },
  },
});

export const hostAliases = definePolicy({
  name: "golden-message-holes",
  title: "Messages never show a hole",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.spec.hostAliases.isEmpty().message`${pod.metadata.name} in ${pod.metadata.namespace} sets hostAliases (team ${pod.metadata.labels.at("team")}).`,
  tests: [
    { resource: deployment(false), expect: "allow" },
    { resource: deployment(true), expect: "deny", message: "web in shop sets hostAliases (team <missing>)." },
  ],
});
