import { definePolicy, implies, or, Pod } from "policyc";

const pod = (annotations: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "x", annotations },
  spec: { containers: [{ name: "app", image: "nginx" }] },
});
const PREFIX = "container.apparmor.security.beta.kubernetes.io/";

export default definePolicy({
  name: "golden-map-keys",
  title: "AppArmor annotations name allowed profiles",
  match: { kinds: [Pod] },
  validate: (pod) =>
    pod.metadata.annotations.keys().every((k) =>
      implies(
        k.startsWith(PREFIX),
        or(pod.metadata.annotations.at(k).oneOf(["runtime/default", ""]), pod.metadata.annotations.at(k).startsWith("localhost/")),
      ).message`annotation ${k} sets an AppArmor profile that is not allowed`,
    ),
  tests: [
    { resource: pod({}), expect: "allow" },
    { resource: pod({ a: "b", [PREFIX + "app"]: "runtime/default" }), expect: "allow" },
    { resource: pod({ [PREFIX + "app"]: "localhost/x" }), expect: "allow" },
    { resource: pod({ a: "unconfined", [PREFIX + "app"]: "unconfined" }), expect: "deny", message: "annotation container.apparmor.security.beta.kubernetes.io/app" },
  ],
});
