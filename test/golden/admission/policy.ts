import { and, definePolicy, Deployment, implies, not, or, z } from "policyc";

const deployment = (labels: Record<string, string>, replicas = 2, name = "web") => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "shop", labels },
  spec: { replicas, template: { spec: { containers: [{ name: "app", image: "nginx:1.27" }] } } },
});

export default definePolicy({
  name: "golden-admission",
  title: "Owner label is immutable; only admins scale to zero",
  match: { kinds: [Deployment] },
  params: z.object({ adminGroups: z.array(z.string()).default(["platform-admins"]), lockedLabel: z.string().default("owner") }),
  rules: [
    {
      name: "immutable-label",
      assert: (d, params, { old, operation }) =>
        implies(
          and(operation.equals("UPDATE"), old.metadata.labels.at(params.lockedLabel).exists()),
          d.metadata.labels.at(params.lockedLabel).equals(old.metadata.labels.at(params.lockedLabel)),
        ).message`label ${params.lockedLabel} may not change (it was ${old.metadata.labels.at(params.lockedLabel)})`,
    },
    {
      name: "scale-to-zero",
      assert: (d, params, { userInfo }) => or(d.spec.replicas.gt(0), userInfo.groups.some((g) => g.oneOf(params.adminGroups))),
      message: "only platform admins may scale a Deployment to zero",
    },
    {
      name: "no-self-management",
      assert: (d, _params, { userInfo, namespace }) => not(userInfo.serviceAccount(namespace, d.metadata.name)),
      message: "a workload's own service account may not change it",
    },
  ],
  tests: [
    { name: "create", resource: deployment({ owner: "a" }), expect: "allow" },
    {
      name: "label unchanged",
      operation: "UPDATE",
      resource: deployment({ owner: "a" }),
      oldResource: deployment({ owner: "a" }),
      expect: "allow",
    },
    {
      name: "label changed",
      operation: "UPDATE",
      resource: deployment({ owner: "b" }),
      oldResource: deployment({ owner: "a" }),
      expect: "deny",
      message: "label owner may not change (it was a)",
    },
    { name: "label removed", operation: "UPDATE", resource: deployment({}), oldResource: deployment({ owner: "a" }), expect: "deny" },
    { name: "label added", operation: "UPDATE", resource: deployment({ owner: "a" }), oldResource: deployment({}), expect: "allow" },
    { name: "scale to zero by a developer", resource: deployment({}, 0), expect: "deny", message: "only platform admins" },
    {
      name: "scale to zero by an admin",
      resource: deployment({}, 0),
      userInfo: { username: "alice", groups: ["platform-admins"] },
      expect: "allow",
    },
    {
      name: "its own service account",
      resource: deployment({}, 2, "web"),
      userInfo: { username: "system:serviceaccount:shop:web", groups: ["system:serviceaccounts"] },
      expect: "deny",
      message: "own service account",
    },
    {
      name: "another service account",
      resource: deployment({}, 2, "web"),
      userInfo: { username: "system:serviceaccount:shop:deployer" },
      expect: "allow",
    },
  ],
});
