import { lookedUpKinds, TARGET_NAMES, type JsonSchema, type Mutation, type Policy } from "../ir/index.js";
import { apiVersionOf, POD_CONTROLLERS } from "../kube/index.js";

/** The library's categories, in the catalogue's order. */
export const CATEGORIES = [
  "Pod Security Standards (Baseline)",
  "Pod Security Standards (Restricted)",
  "Image provenance",
  "Workload hardening",
  "Resources",
  "Secrets",
  "Best practices",
  "Network exposure",
  "RBAC (least privilege)",
  "Multi-tenancy",
] as const;

/** `restrict-image-registries` → `restrictImageRegistries`: the library function of a policy name. */
export const functionName = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * docs/library.md: every library policy (as `policies/` instantiates it, with its defaults) with
 * its category, severity, what it enforces and its parameters with their defaults.
 */
/**
 * The system workloads a Pod Security Standards control usually has to exempt, as platform teams
 * meet them: named so a team writes a narrow exception (namespace, names, kinds) rather than
 * excluding whole namespaces from every policy.
 */
const USUAL_EXCEPTIONS: Readonly<Record<string, string>> = {
  "disallow-host-namespaces":
    "CNI agents (Cilium, Calico, Flannel) and kube-proxy (hostNetwork), node-local DNS caches and node exporters (hostNetwork), node-level security and monitoring agents such as Falco (hostPID).",
  "disallow-host-path":
    "log shippers (Fluent Bit, Promtail, Vector) reading /var/log, CSI node plugins (the kubelet's plugin and pod directories), node exporters (/proc, /sys), CNI agents (/opt/cni/bin, /etc/cni), runtime security agents.",
  "disallow-privileged-containers":
    "CNI agents, CSI node plugins (mount propagation), kube-proxy, GPU and device plugins, runtime security agents.",
  "disallow-capabilities":
    "CNI agents and kube-proxy (NET_ADMIN, SYS_ADMIN), service-mesh init containers that program iptables (NET_ADMIN, NET_RAW) unless the mesh's CNI plugin is used.",
  "disallow-host-ports": "ingress controllers run with hostPort, node-local DNS caches, CNI agents' health and metrics ports.",
  "disallow-host-process": "Windows node agents: kube-proxy and CSI proxies on Windows nodes.",
  "disallow-host-probes": "node-local DNS caches and CNI agents whose probes target the node's address.",
  "disallow-proc-mount": "in-cluster image builders that run nested containers (rootless BuildKit with an unmasked /proc).",
  "disallow-selinux": "CSI node plugins and runtime security agents that set their own SELinux type.",
  "restrict-apparmor-profiles": "runtime security agents that run unconfined.",
  "restrict-seccomp": "runtime security and profiling agents that run unconfined.",
  "restrict-sysctls": "node-tuning DaemonSets that set unsafe sysctls.",
  "require-run-as-nonroot": "CNI agents, CSI node plugins, kube-proxy and node agents that run as root; volume-permission init containers.",
  "require-run-as-non-root-user":
    "CNI agents, CSI node plugins, kube-proxy and node agents that run as root; volume-permission init containers.",
  "restrict-volume-types": "CSI node plugins and log shippers (hostPath), which the Restricted profile does not allow.",
  "disallow-privilege-escalation": "CNI agents and CSI node plugins (privileged containers escalate by definition).",
  "disallow-capabilities-strict": "CNI agents, kube-proxy and service-mesh init containers (NET_ADMIN, NET_RAW).",
};

/**
 * Where a policy knowingly differs from the Kyverno policy library's policy of the same name
 * (judged against that library's own fixtures), and why.
 */
const UPSTREAM_DIFFERENCES: Readonly<Record<string, string>> = {
  "require-probes":
    "Kyverno's library limits its autogen to Deployments, DaemonSets and StatefulSets, so a CronJob or Job passes while the pods it creates are then denied at creation (the policy matches Pods). policyc checks every pod controller, so the finding is reported where the pod template is written.",
  "restrict-sa-automount-sa-token":
    "Kyverno's library checks ServiceAccount objects (automountServiceAccountToken: false on the account). policyc checks pods: a pod's own setting overrides its account's, so a pod can mount the token whatever the account says, and a check of accounts alone misses it.",
  "restrict-binding-clusteradmin":
    "Kyverno's library denies every binding to cluster-admin. policyc allows the subjects its required parameter lists, and checks RoleBindings too (a RoleBinding to cluster-admin makes its subjects admins of the namespace).",
};

export function renderCatalogue(policies: readonly Policy[], mutations: readonly Mutation[] = []): string {
  const out = [
    "# The policy library",
    "",
    "<!-- Generated from policies/ by `npm run build:catalogue`; a test fails when it is stale. -->",
    "",
    'Every policy below is a function of `policyc/library` returning a policy to export from a policy file, e.g. `export default restrictImageRegistries({ params: { registries: ["registry.example.com"] } })`. Options: `name` (a new name for the policy and its generated objects, so two uses never collide), `params` (the one instance\'s parameters; defaults fill the rest), `instances` (named instances instead: `[{ name: "prod", params }]`, each its own Constraint, ValidatingPolicy and VAP), `enforcement`, `excludeNamespaces` (replaces the default) and `tests` (the policy carries its own cases while its parameters are the documented ones).',
    "",
    `Pod policies apply to Pods and, through their pod templates, to every pod controller (${POD_CONTROLLERS.map((c) => c.kind.kind).join(", ")}).`,
    "",
  ];
  for (const category of CATEGORIES) {
    const inCategory = policies.filter((p) => p.category === category).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (!inCategory.length) continue;
    out.push(`## ${category}`, "");
    for (const p of inCategory) {
      out.push(`### \`${p.name}\` — ${p.title ?? p.name}`, "");
      out.push(`\`${functionName(p.name)}()\` · severity **${p.severity ?? "medium"}** · applies to ${appliesTo(p)}`, "");
      if (p.description) out.push(p.description, "");
      const looked = lookedUpKinds(p);
      if (looked.length)
        out.push(
          `Reads the cluster: ${looked.map((k) => `${k.kind} (${apiVersionOf(k)})`).join(", ")}. Gatekeeper must sync ${looked.length === 1 ? "it" : "them"} (\`policyc build\` writes the Config).`,
          "",
        );
      for (const t of TARGET_NAMES) {
        const setting = p.targets[t];
        if (!setting.enabled) out.push(`Not emitted for ${t}: ${setting.reason}.`, "");
      }
      const upstream = UPSTREAM_DIFFERENCES[p.name];
      if (upstream) out.push(`Differs from Kyverno's library: ${upstream}`, "");
      const usual = USUAL_EXCEPTIONS[p.name];
      if (usual) out.push(`Usually needs exceptions (\`defineException\`, see docs/exceptions.md) for: ${usual}`, "");
      const params = parameters(p.params);
      if (params.length) {
        out.push("| parameter | type | default |", "|---|---|---|");
        for (const [name, type, dflt] of params) out.push(`| \`${name}\` | ${type} | ${dflt} |`);
        out.push("");
      }
    }
  }
  const unknown = [...Object.keys(USUAL_EXCEPTIONS), ...Object.keys(UPSTREAM_DIFFERENCES)].filter(
    (name) => !policies.some((p) => p.name === name),
  );
  if (unknown.length) throw new Error(`exception guidance for policies the library does not have: ${unknown.join(", ")}`);
  const other = policies.filter((p) => !CATEGORIES.includes(p.category as (typeof CATEGORIES)[number]));
  if (other.length) throw new Error(`policies without a catalogue category: ${other.map((p) => p.name).join(", ")}`);
  if (mutations.length) out.push(...mutationsSection(mutations));
  return out.join("\n");
}

/** The library's mutations (docs/mutations.md says how they are lowered), with what each target does not emit. */
function mutationsSection(mutations: readonly Mutation[]): string[] {
  const out = [
    "## Mutations",
    "",
    "Functions of `policyc/library` returning a mutation (`defineMutation`); `policyc apply` runs them before the validations, as admission does. Options: `name`, `params`, `excludeNamespaces` (default `kube-system`), `tests`. See docs/mutations.md.",
    "",
  ];
  for (const m of [...mutations].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    out.push(`### \`${m.name}\` — ${m.title ?? m.name}`, "");
    out.push(`\`${functionName(m.name)}()\` · applies to ${appliesTo(m as unknown as Policy)}`, "");
    if (m.description) out.push(m.description, "");
    for (const t of TARGET_NAMES) {
      const setting = m.targets[t];
      out.push(
        setting.enabled ? `- ${t}: emitted, proven on its engine by the mutation's cases.` : `- ${t}: not emitted: ${setting.reason}.`,
      );
    }
    out.push("");
  }
  return out;
}

function appliesTo(p: Policy): string {
  const kinds = p.subject === "pod" ? "Pods and pod controllers" : p.match.kinds.map((k) => `${k.kind}s`).join(", ");
  const excluded = p.match.namespaces?.exclude;
  return excluded?.length ? `${kinds}, except in ${excluded.map((n) => `\`${n}\``).join(", ")}` : kinds;
}

/** Each parameter: its name, its type as a reader writes it, and its default ("required" when it has none). */
function parameters(schema: JsonSchema | undefined): [string, string, string][] {
  const props = (schema?.["properties"] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.["required"] as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => [
    name,
    typeText(s),
    s["default"] !== undefined ? `\`${JSON.stringify(s["default"])}\`` : required.has(name) ? "**required**" : "none",
  ]);
}

function typeText(s: JsonSchema): string {
  if (s["type"] === "array") return `list of ${typeText((s["items"] ?? {}) as JsonSchema)}`;
  if (s["type"] === "object") {
    const props = Object.keys((s["properties"] ?? {}) as object);
    return props.length ? `{${props.join(", ")}}` : "object";
  }
  if (Array.isArray(s["enum"])) return (s["enum"] as unknown[]).map((x) => `\`${String(x)}\``).join(" or ");
  return String(s["type"] ?? "any");
}
