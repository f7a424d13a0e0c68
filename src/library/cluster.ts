/**
 * Policies that read other objects of the cluster (lookups, docs/language.md): a workload and its
 * NetworkPolicies, its PodDisruptionBudget, its autoscaler; an Ingress or a Service and the others
 * of its kind. Kyverno (its resource library) and Gatekeeper (data.inventory, synced by the
 * Config `policyc build` writes) can read the cluster; a ValidatingAdmissionPolicy cannot, so
 * each skips the Kubernetes target, with the reason.
 */
import {
  and,
  definePolicy,
  Deployment,
  HorizontalPodAutoscaler,
  implies,
  Ingress,
  NetworkPolicy,
  or,
  Pod,
  PodDisruptionBudget,
  Service,
  StatefulSet,
  type PolicyDefinition,
} from "../sdk/index.js";
import { exclusions, fromOptions, SYSTEM_NAMESPACES, type LibraryOptions } from "./define.js";
import {
  configMap,
  cronJob,
  defaultDeny,
  deployment,
  horizontalPodAutoscaler,
  ingress,
  leftOutInKubeSystem,
  NOT_A_POD,
  pod,
  podDisruptionBudget,
  podSpec,
  service,
} from "./fixtures.js";

/** Why none of these can be a ValidatingAdmissionPolicy (the catalogue shows it). */
const NO_VAP = "a ValidatingAdmissionPolicy cannot read other objects of the cluster";

export function requireNetworkpolicy(options: LibraryOptions = {}): PolicyDefinition {
  const labels = { "app.kubernetes.io/name": "shop" };
  return definePolicy({
    ...fromOptions("require-networkpolicy", options, [
      { name: "a default deny in the namespace", resource: deployment(), cluster: [defaultDeny()], expect: "allow" },
      {
        name: "no NetworkPolicy in the namespace",
        resource: deployment(),
        expect: "deny",
        message: "no NetworkPolicy isolates the pods of shop for ingress in namespace shop",
      },
      { name: "a default deny of another namespace", resource: cronJob(), cluster: [defaultDeny("other")], expect: "deny" },
      {
        name: "a policy for the workload's own pods, of no stated type (ingress by default)",
        resource: cronJob(),
        cluster: [
          defaultDeny("shop", { podSelector: { matchLabels: labels }, policyTypes: undefined, ingress: [{ from: [{ podSelector: {} }] }] }),
        ],
        expect: "allow",
      },
      {
        name: "an egress-only policy does not isolate ingress",
        resource: deployment(),
        cluster: [defaultDeny("shop", { policyTypes: ["Egress"] })],
        expect: "deny",
      },
      {
        name: "a policy selecting other pods",
        resource: pod(),
        cluster: [
          defaultDeny("shop", {
            podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["shop"] }] },
          }),
        ],
        expect: "deny",
      },
      leftOutInKubeSystem(deployment(podSpec(), {}, { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Require a NetworkPolicy isolating every workload",
    description:
      "A pod no NetworkPolicy selects accepts connections from every pod of the cluster. Every workload's pods must be isolated for ingress by a NetworkPolicy of their namespace: one whose podSelector selects them ({} selects all: a default deny) and whose policyTypes include Ingress (or are left out, which means Ingress). Reads the namespace's NetworkPolicies.",
    category: "Network exposure",
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (p, _params, ctx) =>
      ctx.cluster
        .list(NetworkPolicy)
        .some((np) =>
          and(np.spec.podSelector.selects(p.metadata.labels), or(np.spec.policyTypes.absent(), np.spec.policyTypes.includes("Ingress"))),
        ).message`no NetworkPolicy isolates the pods of ${p.metadata.name} for ingress in namespace ${p.metadata.namespace}`,
    skip: { kubernetes: NO_VAP },
  });
}

export function uniqueIngressHost(options: LibraryOptions = {}): PolicyDefinition {
  const rules = (...hosts: string[]) => ({
    rules: hosts.map((host) => ({
      host,
      http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 80 } } } }] },
    })),
  });
  const other = (namespace: string, name: string, ...hosts: string[]) => ({ ...ingress(rules(...hosts)), metadata: { name, namespace } });
  return definePolicy({
    ...fromOptions("unique-ingress-host", options, [
      {
        name: "a host no other Ingress serves",
        resource: ingress(rules("shop.example.com")),
        cluster: [other("web", "web", "web.example.com")],
        expect: "allow",
      },
      {
        name: "a host another namespace's Ingress serves",
        resource: ingress(rules("shop.example.com", "pay.example.com")),
        cluster: [other("payments", "pay", "pay.example.com")],
        expect: "deny",
        message: "host pay.example.com is already served by another Ingress",
        violations: 1,
      },
      {
        name: "its own earlier version is not another Ingress",
        resource: ingress(rules("shop.example.com")),
        operation: "UPDATE",
        oldResource: ingress(rules("shop.example.com")),
        cluster: [other("shop", "shop", "shop.example.com")],
        expect: "allow",
      },
      { name: "not an Ingress", resource: configMap(), expect: "skip" },
    ]),
    title: "Require unique Ingress hosts",
    description:
      "Two Ingresses serving one host split its traffic between them, or let one team take another's traffic. A host an Ingress names must not be named by any other Ingress of the cluster (networking.k8s.io/v1). Reads every Ingress.",
    category: "Network exposure",
    severity: "high",
    match: { kinds: [Ingress], ...exclusions(options) },
    validate: (i, _params, ctx) =>
      i.spec.rules.every(
        (r) =>
          implies(
            r.host.exists(),
            ctx.cluster.list(Ingress, { allNamespaces: true }).none((o) => o.spec.rules.some((x) => x.host.equals(r.host))),
          ).message`host ${r.host} is already served by another Ingress`,
      ),
    skip: { kubernetes: NO_VAP },
  });
}

export function uniqueServiceSelector(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("unique-service-selector", options, [
      {
        name: "a selector of its own",
        resource: service({}),
        cluster: [service({ selector: { app: "web" } }, { name: "web" })],
        expect: "allow",
      },
      {
        name: "the selector of another Service",
        resource: service({}),
        cluster: [service({}, { name: "shop-copy" })],
        expect: "deny",
        message: "Service shop selects the same pods as another Service of namespace shop",
      },
      {
        name: "the same selector in another namespace",
        resource: service({}),
        cluster: [service({}, { name: "x", namespace: "other" })],
        expect: "allow",
      },
      {
        name: "no selector (endpoints managed by hand)",
        resource: service({ selector: undefined }),
        cluster: [service({ selector: undefined }, { name: "x" })],
        expect: "allow",
      },
      { name: "not a Service", resource: configMap(), expect: "skip" },
    ]),
    title: "Require unique Service selectors",
    description:
      "Two Services selecting the same pods in a namespace are usually a copy left behind, and split or shadow traffic meant for one. A Service's selector must not equal another Service's of its namespace. Reads the namespace's Services.",
    category: "Network exposure",
    severity: "medium",
    match: { kinds: [Service], ...exclusions(options) },
    validate: (s, _params, ctx) =>
      ctx.cluster.list(Service).none((o) => and(o.spec.selector.selects(s.spec.selector), s.spec.selector.selects(o.spec.selector)))
        .message`Service ${s.metadata.name} selects the same pods as another Service of namespace ${s.metadata.namespace}`,
    skip: { kubernetes: NO_VAP },
  });
}

export function requirePdb(options: LibraryOptions = {}): PolicyDefinition {
  const labels = { "app.kubernetes.io/name": "shop" };
  return definePolicy({
    ...fromOptions("require-pdb", options, [
      {
        name: "a PodDisruptionBudget selects the pods",
        resource: deployment(),
        cluster: [podDisruptionBudget({ matchLabels: labels })],
        expect: "allow",
      },
      {
        name: "none does",
        resource: deployment(),
        cluster: [podDisruptionBudget({ matchLabels: { app: "other" } })],
        expect: "deny",
        message: "Deployment shop runs more than one replica and no PodDisruptionBudget selects its pods",
      },
      {
        name: "one replica: the policy does not apply",
        resource: { ...deployment(), spec: { ...(deployment().spec as object), replicas: 1 } },
        expect: "skip",
      },
      { name: "not a workload", resource: configMap(), expect: "skip" },
    ]),
    title: "Require a PodDisruptionBudget for replicated workloads",
    description:
      "Without a PodDisruptionBudget, a node drain or a cluster upgrade may evict every replica of a workload at once. A Deployment or StatefulSet with more than one replica must have a PodDisruptionBudget of its namespace whose selector selects its pods. Reads the namespace's PodDisruptionBudgets.",
    category: "Best practices",
    severity: "medium",
    match: { kinds: [Deployment, StatefulSet], ...exclusions(options, SYSTEM_NAMESPACES) },
    rules: [
      {
        name: "pdb-selects-pods",
        when: (w) => w.spec.replicas.gt(1),
        assert: (w, _params, ctx) =>
          ctx.cluster.list(PodDisruptionBudget).some((b) => b.spec.selector.selects(w.spec.template.metadata.labels))
            .message`${w.kind} ${w.metadata.name} runs more than one replica and no PodDisruptionBudget selects its pods`,
      },
    ],
    skip: { kubernetes: NO_VAP },
  });
}

export function restrictHpaReplicasConflict(options: LibraryOptions = {}): PolicyDefinition {
  const scaled = { ...deployment(), spec: { ...(deployment().spec as object) } };
  const { replicas: _replicas, ...unreplicated } = scaled.spec as Record<string, unknown>;
  void _replicas;
  return definePolicy({
    ...fromOptions("restrict-hpa-replicas-conflict", options, [
      { name: "replicas, no autoscaler", resource: scaled, expect: "allow" },
      {
        name: "replicas and an autoscaler scaling it",
        resource: scaled,
        cluster: [horizontalPodAutoscaler("Deployment", "shop")],
        expect: "deny",
        message: "Deployment shop sets spec.replicas while a HorizontalPodAutoscaler scales it",
      },
      {
        name: "an autoscaler of another Deployment",
        resource: scaled,
        cluster: [horizontalPodAutoscaler("Deployment", "web")],
        expect: "allow",
      },
      {
        name: "no replicas: the autoscaler's count stands",
        resource: { ...scaled, spec: unreplicated },
        cluster: [horizontalPodAutoscaler("Deployment", "shop")],
        expect: "allow",
      },
      { name: "not a workload", resource: configMap(), expect: "skip" },
    ]),
    title: "Leave replicas to the HorizontalPodAutoscaler",
    description:
      "When a HorizontalPodAutoscaler scales a workload, the workload's own spec.replicas fights it: every apply of the manifest resets the count the autoscaler chose. A Deployment or StatefulSet an autoscaler of its namespace targets must leave spec.replicas out. Reads the namespace's HorizontalPodAutoscalers (autoscaling/v2).",
    category: "Best practices",
    severity: "low",
    match: { kinds: [Deployment, StatefulSet], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (w, _params, ctx) =>
      implies(
        w.spec.replicas.exists(),
        ctx.cluster
          .list(HorizontalPodAutoscaler)
          .none((h) => and(h.spec.scaleTargetRef.kind.equals(w.kind), h.spec.scaleTargetRef.name.equals(w.metadata.name))),
      )
        .message`${w.kind} ${w.metadata.name} sets spec.replicas while a HorizontalPodAutoscaler scales it: leave replicas out so the autoscaler's count stands`,
    skip: { kubernetes: NO_VAP },
  });
}
