import { definePolicy, format, RoleBinding, z } from "policyc";

const binding = (namespace: string, subjects: { kind: string; name: string; namespace?: string }[], annotations: Record<string, string> = {}) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "b", namespace, annotations },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
  subjects,
});

export default definePolicy({
  name: "golden-strings",
  title: "Service accounts bound by name, owners listed",
  match: { kinds: [RoleBinding] },
  params: z.object({ allowed: z.array(z.string()).default(["shop:deployer", "ci:runner"]) }),
  rules: [
    {
      name: "allowed-service-accounts",
      assert: (b, params) =>
        b.subjects.every((s) =>
          format`${s.namespace}:${s.name}`.oneOf(params.allowed).message`service account ${format`${s.namespace}:${s.name}`} is not allowed`,
        ),
      when: (b) => b.subjects.some((s) => s.kind.lower().equals("serviceaccount")),
    },
    {
      name: "owners",
      assert: (b) =>
        b.metadata.annotations
          .at("owners")
          .split(",")
          .every((o) => o.upper().matches("^[A-Z]+@EXAMPLE\\.COM$").message`owner ${o} is not an example.com address`),
    },
    {
      name: "owner-list",
      assert: (b) => b.metadata.annotations.at("owners").split(",").join(";").equals(b.metadata.annotations.at("owners-normalised")),
      message: "owners-normalised must list the owners separated by semicolons",
    },
  ],
  tests: [
    {
      name: "allowed service account",
      resource: binding("shop", [{ kind: "ServiceAccount", name: "deployer", namespace: "shop" }], { owners: "a@example.com,b@example.com", "owners-normalised": "a@example.com;b@example.com" }),
      expect: "allow",
    },
    {
      name: "other service account",
      resource: binding("shop", [{ kind: "serviceaccount", name: "builder", namespace: "shop" }], { owners: "a@example.com", "owners-normalised": "a@example.com" }),
      expect: "deny",
      message: "service account shop:builder is not allowed",
    },
    {
      name: "bad owner",
      resource: binding("shop", [{ kind: "User", name: "alice" }], { owners: "a@example.com,bob", "owners-normalised": "a@example.com;bob" }),
      expect: "deny",
      message: "owner bob is not an example.com address",
    },
    {
      name: "owners not normalised",
      resource: binding("shop", [{ kind: "User", name: "alice" }], { owners: "a@example.com,b@example.com", "owners-normalised": "a@example.com,b@example.com" }),
      expect: "deny",
      message: "owners-normalised",
    },
  ],
});
