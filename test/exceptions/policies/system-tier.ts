// A namespace-label exception: Kubernetes and Gatekeeper carry it as a selector; Kyverno cannot, so the policy skips it.
import { defineException, definePolicy, Service } from "policyc";

export const noNodePorts = definePolicy({
  name: "no-node-ports",
  match: { kinds: [Service] },
  validate: (svc) => svc.spec.type.notEquals("NodePort"),
  skip: { kyverno: "exempts namespaces by label, which a Kyverno PolicyException cannot read" },
});

export const systemTier = defineException({
  name: "system-tier",
  policies: [noNodePorts],
  match: { namespaceLabels: { matchExpressions: [{ key: "acme.io/tier", operator: "In", values: ["system"] }] } },
  reason: "system components expose node ports",
  tests: [
    { resource: "fixtures/node-port.yaml", namespaces: ["fixtures/ingress-namespace.yaml"], expect: "allow" },
    {
      name: "a namespace of another tier",
      resource: "fixtures/node-port.yaml",
      namespaces: ["fixtures/shop-namespace.yaml"],
      expect: "deny",
    },
  ],
});
