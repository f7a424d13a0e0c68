// A DELETE policy: the exception reads the object being deleted (oldObject) and the user's groups.
import { ConfigMap, defineException, definePolicy } from "policyc";

export const protectedConfigMaps = definePolicy({
  name: "keep-protected-configmaps",
  match: { kinds: [ConfigMap], operations: ["DELETE"] },
  validate: (cm) => cm.metadata.labels.at("acme.io/protected").notEquals("true"),
  tests: [{ resource: "fixtures/settings-configmap.yaml", operation: "DELETE", expect: "deny" }],
});

export const scratch = defineException({
  name: "ops-scratch",
  policies: [protectedConfigMaps],
  match: { names: ["scratch-?", "scratch-*-tmp"], groups: ["acme:ops"] },
  reason: "ops clean up their scratch ConfigMaps",
  expires: "2099-01-31",
  tests: [
    {
      resource: "fixtures/scratch-configmap.yaml",
      operation: "DELETE",
      userInfo: { username: "bob", groups: ["acme:ops"] },
      expect: "allow",
    },
    { name: "by someone not in ops", resource: "fixtures/scratch-configmap.yaml", operation: "DELETE", expect: "deny" },
    {
      name: "a name the globs do not match",
      resource: "fixtures/settings-configmap.yaml",
      operation: "DELETE",
      userInfo: { username: "bob", groups: ["acme:ops"] },
      expect: "deny",
    },
  ],
});
