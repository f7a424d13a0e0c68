// RBAC least-privilege and multi-tenancy policies from policyc's library. Who may be
// cluster-admin has no safe default: these are the documented example values; set your own.
import {
  EXAMPLE_CLUSTER_ADMINS,
  requireNamespaceOwnerLabel,
  restrictBindingClusteradmin,
  restrictBindingSystemGroups,
  restrictEscalationVerbsRoles,
  restrictSecretRoleVerbs,
  restrictWildcardResources,
  restrictWildcardVerbs,
} from "policyc/library";

export default [
  restrictWildcardVerbs(),
  restrictWildcardResources(),
  restrictEscalationVerbsRoles(),
  restrictBindingClusteradmin({ params: EXAMPLE_CLUSTER_ADMINS }),
  restrictBindingSystemGroups(),
  restrictSecretRoleVerbs(),
  requireNamespaceOwnerLabel(),
];
