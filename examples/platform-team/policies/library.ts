// Eleven policies from policyc's library, tuned for ACME. Policies left with their defaults carry the
// library's own cases; the tuned ones are proven on ACME's fixtures below.
import {
  disallowHostNamespaces,
  disallowLatestTag,
  disallowPrivilegedContainers,
  disallowSecretsFromEnvVars,
  requireLabels,
  requirePodRequestsLimits,
  requireRunAsNonroot,
  restrictImageRegistries,
  restrictBindingClusteradmin,
  restrictLoadbalancer,
  restrictWildcardVerbs,
} from "policyc/library";

export const registries = restrictImageRegistries({
  params: { registries: ["registry.acme.io", "ghcr.io/acme"] },
  tests: [
    { resource: "fixtures/web-deployment.yaml", expect: "allow" },
    { resource: "fixtures/untrusted-image.yaml", expect: "deny", message: "docker.io/library/nginx, which is not an allowed registry" },
  ],
});

export const resources = requirePodRequestsLimits({
  params: { maxMemory: "2Gi" },
  tests: [
    { resource: "fixtures/web-deployment.yaml", expect: "allow" },
    { resource: "fixtures/untrusted-image.yaml", expect: "deny", message: "must not set resources.limits.memory above 2Gi" },
  ],
});

export const labels = requireLabels({
  params: {
    required: [
      { key: "app.kubernetes.io/name", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
      { key: "acme.io/team", pattern: "^[a-z][a-z0-9-]*$" },
    ],
  },
  tests: [
    { resource: "fixtures/web-deployment.yaml", expect: "allow" },
    { resource: "fixtures/untrusted-image.yaml", expect: "deny", message: "label acme.io/team must be set" },
  ],
});

export const loadBalancers = restrictLoadbalancer({
  params: { namespaces: ["ingress-nginx"] },
  tests: [
    { resource: "fixtures/ingress-controller-service.yaml", expect: "allow" },
    {
      resource: "fixtures/public-service.yaml",
      expect: "deny",
      message: "Service web-public in namespace shop must not be of type LoadBalancer",
    },
  ],
});

export const clusterAdmins = restrictBindingClusteradmin({
  params: { allowed: [{ kind: "Group", name: "acme:platform-admins" }] },
  tests: [
    { resource: "fixtures/cluster-admin-binding.yaml", expect: "deny", message: "User dana@acme.io may not be bound to cluster-admin" },
  ],
});

export const latest = disallowLatestTag();
export const privileged = disallowPrivilegedContainers();
export const hostNamespaces = disallowHostNamespaces();
export const nonRoot = requireRunAsNonroot();
export const secrets = disallowSecretsFromEnvVars();
export const wildcardVerbs = restrictWildcardVerbs();
