/** RBAC least privilege: Roles that grant too much, and bindings to the wrong subjects. */
import { z } from "zod";
import {
  and,
  ClusterRole,
  ClusterRoleBinding,
  definePolicy,
  Namespace,
  or,
  Role,
  RoleBinding,
  type PolicyDefinition,
} from "../sdk/index.js";
import { exclusions, fromOptions, type LibraryOptions, type RequiredParams } from "./define.js";
import { binding, configMap, namespace, role } from "./fixtures.js";

const CATEGORY = "RBAC (least privilege)";
const READ = { apiGroups: [""], resources: ["pods", "services"], verbs: ["get", "list", "watch"] };

export function restrictWildcardVerbs(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-wildcard-verbs", options, [
      { name: "named verbs", resource: role([READ]), expect: "allow" },
      {
        name: "every verb",
        resource: role([{ ...READ, verbs: ["*"] }]),
        expect: "deny",
        message: "Role shop-reader grants the wildcard verb '*'",
      },
      { name: "a ClusterRole with an empty rule list", resource: { ...role([], "ClusterRole"), rules: [] }, expect: "allow" },
      { name: "not a role", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow wildcard verbs",
    description:
      "A rule granting every verb ('*') grants verbs added in future versions too, and is rarely least privilege. Roles and ClusterRoles must list the verbs they grant.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Role, ClusterRole], ...exclusions(options) },
    validate: (r) => r.rules.none((rule) => rule.verbs.includes("*")).message`${r.kind} ${r.metadata.name} grants the wildcard verb '*'`,
  });
}

export function restrictWildcardResources(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-wildcard-resources", options, [
      { name: "named resources", resource: role([READ]), expect: "allow" },
      {
        name: "every resource",
        resource: role([{ ...READ, resources: ["*"] }], "ClusterRole"),
        expect: "deny",
        message: "ClusterRole shop-reader grants the wildcard resource '*'",
      },
      {
        name: "a non-resource URL rule",
        resource: role([{ nonResourceURLs: ["/healthz"], verbs: ["get"] }], "ClusterRole"),
        expect: "allow",
      },
      { name: "not a role", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow wildcard resources",
    description:
      "A rule on every resource ('*') covers Secrets and every custom resource installed later. Roles and ClusterRoles must list the resources they grant.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Role, ClusterRole], ...exclusions(options) },
    validate: (r) =>
      r.rules.none((rule) => rule.resources.includes("*")).message`${r.kind} ${r.metadata.name} grants the wildcard resource '*'`,
  });
}

const ESCALATION_VERBS = ["escalate", "bind", "impersonate"] as const;

export function restrictEscalationVerbsRoles(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-escalation-verbs-roles", options, [
      { name: "read-only", resource: role([READ]), expect: "allow" },
      {
        name: "bind",
        resource: role([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"] }], "ClusterRole"),
        expect: "deny",
        message: "ClusterRole shop-reader grants escalate, bind or impersonate",
      },
      {
        name: "impersonate in the second rule",
        resource: role([READ, { apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }]),
        expect: "deny",
        violations: 1,
      },
      {
        name: "a wildcard grants them all",
        resource: role([{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }], "ClusterRole"),
        expect: "deny",
        message: "ClusterRole shop-reader grants escalate, bind or impersonate",
      },
      { name: "not a role", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow privilege-escalating verbs",
    description:
      "escalate and bind let a subject grant permissions it does not hold; impersonate lets it act as another user. Roles and ClusterRoles must not grant them, by name or through the verb wildcard *.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Role, ClusterRole], ...exclusions(options) },
    validate: (r) =>
      r.rules.none((rule) => rule.verbs.some((v) => v.oneOf([...ESCALATION_VERBS, "*"])))
        .message`${r.kind} ${r.metadata.name} grants escalate, bind or impersonate`,
  });
}

export interface SubjectsParams {
  /**
   * Subjects that may be bound to cluster-admin: `{ kind: "Group", name: "platform-admins" }`,
   * `{ kind: "ServiceAccount", namespace, name }`. A namespace left out or empty (as Kubernetes
   * leaves it for users and groups) matches a subject without one.
   */
  readonly allowed: { kind: "User" | "Group" | "ServiceAccount"; name: string; namespace?: string }[];
}

/** The example values `policies/` uses and the library's own cases assume. */
export const EXAMPLE_CLUSTER_ADMINS: SubjectsParams = {
  allowed: [
    { kind: "Group", name: "platform-admins" },
    { kind: "ServiceAccount", namespace: "flux-system", name: "kustomize-controller" },
  ],
};

export function restrictBindingClusteradmin(options: RequiredParams<SubjectsParams>): PolicyDefinition {
  const admin = { kind: "ClusterRole", name: "cluster-admin" };
  return definePolicy({
    ...fromOptions(
      "restrict-binding-clusteradmin",
      options,
      [
        {
          name: "an allowed group",
          resource: binding(admin, [{ kind: "Group", name: "platform-admins", apiGroup: "rbac.authorization.k8s.io" }]),
          expect: "allow",
        },
        {
          name: "a user",
          resource: binding(admin, [{ kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" }]),
          expect: "deny",
          message: "User alice may not be bound to cluster-admin",
        },
        {
          name: "an allowed service account name in another namespace, in a RoleBinding",
          resource: binding(admin, [{ kind: "ServiceAccount", namespace: "shop", name: "kustomize-controller" }], "RoleBinding"),
          expect: "deny",
          message: "ServiceAccount kustomize-controller may not be bound to cluster-admin",
        },
        {
          name: "the allowed service account",
          resource: binding(admin, [{ kind: "ServiceAccount", namespace: "flux-system", name: "kustomize-controller" }]),
          expect: "allow",
        },
        {
          name: "a group allowed with an empty namespace, as Kubernetes writes one",
          resource: binding(admin, [{ kind: "Group", name: "platform-admins", namespace: "", apiGroup: "rbac.authorization.k8s.io" }]),
          expect: "allow",
        },
        {
          name: "another role does not apply",
          resource: binding({ kind: "ClusterRole", name: "view" }, [{ kind: "User", name: "alice" }]),
          expect: "skip",
        },
      ],
      EXAMPLE_CLUSTER_ADMINS,
    ),
    title: "Restrict bindings to cluster-admin",
    description:
      "cluster-admin can do anything anywhere. Only the allow-listed subjects (a required parameter, each {kind, namespace, name}) may be bound to it, by a ClusterRoleBinding or a RoleBinding.",
    category: CATEGORY,
    severity: "critical",
    match: { kinds: [ClusterRoleBinding, RoleBinding], ...exclusions(options) },
    params: z.object({
      allowed: z
        .array(z.object({ kind: z.enum(["User", "Group", "ServiceAccount"]), name: z.string().min(1), namespace: z.string().optional() }))
        .min(1),
    }),
    rules: [
      {
        name: "restrict-binding-clusteradmin",
        when: (b) => and(b.roleRef.kind.equals("ClusterRole"), b.roleRef.name.equals("cluster-admin")),
        assert: (b, params) =>
          b.subjects.every(
            (s) =>
              params.allowed.some((a) =>
                and(
                  a.kind.equals(s.kind),
                  a.name.equals(s.name),
                  // Kubernetes leaves a user's or group's namespace empty: absent and "" are the same.
                  or(
                    and(or(a.namespace.absent(), a.namespace.equals("")), or(s.namespace.absent(), s.namespace.equals(""))),
                    a.namespace.equals(s.namespace),
                  ),
                ),
              ).message`${s.kind} ${s.name} may not be bound to cluster-admin`,
          ),
      },
    ],
  });
}

const SYSTEM_GROUPS = ["system:anonymous", "system:unauthenticated", "system:masters"] as const;

export function restrictBindingSystemGroups(options: LibraryOptions = {}): PolicyDefinition {
  const view = { kind: "ClusterRole", name: "view" };
  return definePolicy({
    ...fromOptions("restrict-binding-system-groups", options, [
      { name: "a team group", resource: binding(view, [{ kind: "Group", name: "shop-devs" }]), expect: "allow" },
      {
        name: "unauthenticated users",
        resource: binding(view, [{ kind: "Group", name: "system:unauthenticated" }]),
        expect: "deny",
        message: "binding shop-binding must not bind system:unauthenticated",
      },
      {
        name: "the anonymous user, second of two subjects in a RoleBinding",
        resource: binding(
          view,
          [
            { kind: "Group", name: "shop-devs" },
            { kind: "User", name: "system:anonymous" },
          ],
          "RoleBinding",
        ),
        expect: "deny",
        violations: 1,
      },
      { name: "not a binding", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow bindings to anonymous, unauthenticated and system:masters",
    description:
      "Binding system:anonymous or system:unauthenticated opens the API to anyone who can reach it; system:masters bypasses authorization altogether. RoleBindings and ClusterRoleBindings must not bind them.",
    category: CATEGORY,
    severity: "critical",
    match: { kinds: [ClusterRoleBinding, RoleBinding], ...exclusions(options) },
    validate: (b) => b.subjects.every((s) => s.name.notOneOf(SYSTEM_GROUPS).message`binding ${b.metadata.name} must not bind ${s.name}`),
  });
}

export function restrictSecretRoleVerbs(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-secret-role-verbs", options, [
      { name: "create secrets only", resource: role([{ apiGroups: [""], resources: ["secrets"], verbs: ["create"] }]), expect: "allow" },
      {
        name: "list secrets",
        resource: role([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }]),
        expect: "deny",
        message: "Role shop-reader grants get, list or watch on secrets",
      },
      {
        name: "every verb on every resource of the core group, in a ClusterRole",
        resource: role([{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }], "ClusterRole"),
        expect: "deny",
        violations: 1,
      },
      {
        name: "secrets of another API group are not Secrets",
        resource: role([{ apiGroups: ["example.com"], resources: ["secrets"], verbs: ["get"] }]),
        expect: "allow",
      },
      { name: "not a role", resource: configMap(), expect: "skip" },
    ]),
    title: "Restrict reading Secrets",
    description:
      "get, list and watch on Secrets hand out every credential in their scope (list and watch return the values too). Roles and ClusterRoles must not grant them on secrets (or on '*') of the core API group.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Role, ClusterRole], ...exclusions(options) },
    validate: (r) =>
      r.rules.none((rule) =>
        and(
          rule.apiGroups.some((g) => g.oneOf(["", "*"])),
          rule.resources.some((res) => res.oneOf(["secrets", "*"])),
          rule.verbs.some((v) => v.oneOf(["get", "list", "watch", "*"])),
        ),
      ).message`${r.kind} ${r.metadata.name} grants get, list or watch on secrets`,
  });
}

const BUILT_IN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export function requireNamespaceOwnerLabel(options: LibraryOptions<{ key?: string }> = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-namespace-owner-label", options, [
      { name: "owned", resource: namespace("shop", { owner: "team-shop" }), expect: "allow" },
      { name: "no owner", resource: namespace("shop"), expect: "deny", message: "Namespace shop must carry a non-empty owner label" },
      { name: "an empty owner", resource: namespace("shop", { owner: "" }), expect: "deny", message: "owner label" },
      { name: "the cluster's own namespaces are exempt", resource: namespace("kube-system"), expect: "skip" },
      { name: "not a Namespace", resource: configMap(), expect: "skip" },
    ]),
    title: "Require a namespace owner",
    description:
      "A namespace nobody owns is a namespace nobody cleans up, patches or pays for. Every Namespace (but default, kube-system, kube-public and kube-node-lease) must carry the owner label (key, default owner) with a non-empty value.",
    category: "Multi-tenancy",
    severity: "low",
    match: { kinds: [Namespace], ...exclusions(options) },
    params: z.object({ key: z.string().min(1).default("owner") }),
    rules: [
      {
        name: "require-namespace-owner-label",
        when: (n) => n.metadata.name.notOneOf(BUILT_IN_NAMESPACES),
        assert: (n, params) =>
          and(n.metadata.labels.at(params.key).exists(), n.metadata.labels.at(params.key).notEquals(""))
            .message`Namespace ${n.metadata.name} must carry a non-empty ${params.key} label`,
      },
    ],
  });
}
