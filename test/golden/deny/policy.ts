import { definePolicy, deny, Service } from "policyc";

const service = (type: string) => ({ apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "shop" }, spec: { type, ports: [{ port: 80 }] } });

export default definePolicy({
  name: "golden-deny",
  title: "No NodePort Services",
  match: { kinds: [Service] },
  rules: [{ name: "no-node-port", when: (s) => s.spec.type.equals("NodePort"), assert: () => deny`NodePort Services are not allowed` }],
  tests: [
    { name: "NodePort", resource: service("NodePort"), expect: "deny", message: "NodePort Services are not allowed" },
    { name: "ClusterIP: the only rule's precondition is false, so the policy does not apply", resource: service("ClusterIP"), expect: "skip" },
  ],
});
