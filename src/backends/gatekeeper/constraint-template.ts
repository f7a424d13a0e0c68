import {
  complementOf,
  requirementsOf,
  soleNamespaceRequirement,
  issue,
  operandsOf,
  instanceName,
  valueChildren,
  walkPolicy,
  type Enforcement,
  type Issue,
  type LabelSelector,
  type LabelSelectorRequirement,
  type Policy,
} from "../../ir/index.js";
import { gatekeeperPlacement, printRegoModule } from "../../lower/rego/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";
import { syncedKinds } from "./sync-config.js";

const ACTIONS: Record<Enforcement, string> = { enforce: "deny", audit: "dryrun", warn: "warn" };

/** The constraint kind: the policy name in PascalCase (`no-wildcard-verbs` → `NoWildcardVerbs`). */
export function constraintKind(p: Policy): string {
  return p.name
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/** What Gatekeeper must sync for the template's Rego to read the request's Namespace. */
function annotations(p: Policy): Record<string, string> {
  const a: Record<string, string> = {};
  // Gatekeeper's own annotation naming the cluster data a template reads (informational; the sync
  // itself is the Config policyc emits, see toGatekeeperSyncConfig).
  // Each kind a requirement of its own (all of them needed), as Gatekeeper's CompactSyncRequirements reads it.
  const synced = syncedKinds(p);
  if (synced.length)
    a["metadata.gatekeeper.sh/requires-sync-data"] = JSON.stringify(
      synced.map((k) => [{ groups: [k.group], versions: [k.version], kinds: [k.kind] }]),
    );
  if (p.title) a["metadata.gatekeeper.sh/title"] = p.title;
  if (p.category) a["metadata.gatekeeper.sh/category"] = p.category;
  if (p.severity) a["metadata.gatekeeper.sh/severity"] = p.severity;
  if (p.description) a["description"] = p.description;
  return a;
}

/**
 * Gatekeeper `ConstraintTemplate` (templates.gatekeeper.sh/v1) and one Constraint per instance.
 * Pod controllers are covered in the Rego (it reads the pod template), not with an
 * ExpansionTemplate: expansion only runs where the cluster enables it and installs the
 * template, while Rego over the template behaves the same in admission, audit and gator.
 */
export function toGatekeeper(p: Policy): Document[] {
  const kind = constraintKind(p);
  const template: Document = {
    apiVersion: "templates.gatekeeper.sh/v1",
    kind: "ConstraintTemplate",
    metadata: {
      name: kind.toLowerCase(),
      labels: { ...MANAGED_BY },
      ...(Object.keys(annotations(p)).length ? { annotations: annotations(p) } : {}),
    },
    spec: {
      crd: {
        spec: {
          names: { kind },
          ...(p.params ? { validation: { openAPIV3Schema: p.params } } : {}),
        },
      },
      targets: [{ target: "admission.k8s.gatekeeper.sh", rego: printRegoModule(p) }],
    },
  };
  const groups = new Map<string, string[]>();
  for (const k of p.match.kinds)
    groups.set(
      k.group,
      [...(groups.get(k.group) ?? []), k.kind].filter((x, i, a) => a.indexOf(x) === i),
    );
  // Exceptions the Constraint's match can say (see gatekeeperPlacement); the rest are in the Rego.
  const excluded = [...(p.match.namespaces?.exclude ?? [])];
  const labelExtra: LabelSelectorRequirement[] = [];
  const namespaceExtra: LabelSelectorRequirement[] = [];
  for (const ex of p.exceptions ?? []) {
    const place = gatekeeperPlacement(ex);
    if (place === "excludedNamespaces") excluded.push(...ex.match.namespaces!.filter((n) => !excluded.includes(n)));
    else if (place === "labelSelector") labelExtra.push(complementOf(requirementsOf(ex.match.labelSelector!)[0]!));
    else if (place === "namespaceSelector") namespaceExtra.push(complementOf(soleNamespaceRequirement(ex)!));
  }
  const labelSelector = withRequirements(p.match.labelSelector, labelExtra);
  const namespaceSelector = withRequirements(p.match.namespaceSelector, namespaceExtra);
  const match: Record<string, unknown> = {
    kinds: [...groups.entries()].map(([g, kinds]) => ({ apiGroups: [g], kinds })),
    ...(p.match.namespaces?.include ? { namespaces: [...p.match.namespaces.include] } : {}),
    ...(excluded.length ? { excludedNamespaces: excluded } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(namespaceSelector ? { namespaceSelector } : {}),
  };
  const constraints = p.instances.map((inst): Document => ({
    apiVersion: "constraints.gatekeeper.sh/v1beta1",
    kind,
    metadata: { name: instanceName(p.name, inst), labels: { ...MANAGED_BY } },
    spec: {
      enforcementAction: ACTIONS[p.enforcement],
      match,
      ...(p.params ? { parameters: inst.values } : {}),
    },
  }));
  return [template, ...constraints];
}

/** A selector with more requirements (all must hold), or the selector itself when there are none. */
function withRequirements(s: LabelSelector | undefined, extra: readonly LabelSelectorRequirement[]): LabelSelector | undefined {
  if (extra.length === 0) return s;
  return { ...(s?.matchLabels ? { matchLabels: s.matchLabels } : {}), matchExpressions: [...(s?.matchExpressions ?? []), ...extra] };
}

/**
 * Policies whose ConstraintTemplates would share a name: Gatekeeper names a template by its
 * constraint kind in lower case, so `foo-bar` and `foobar` are both `foobar`. A located
 * `duplicate_policy_name` on every policy after the first.
 */
export function templateNameIssues(policies: readonly Policy[]): Issue[] {
  const seen = new Map<string, Policy>();
  const out: Issue[] = [];
  for (const p of policies) {
    if (!p.targets.gatekeeper.enabled) continue;
    const name = constraintKind(p).toLowerCase();
    const prev = seen.get(name);
    if (prev && prev.name !== p.name) {
      out.push(
        issue(
          "duplicate_policy_name",
          `policy "${p.name}" and policy "${prev.name}" (${prev.source.file}:${prev.source.line}) both make the Gatekeeper ConstraintTemplate "${name}" (its name is the policy name without dashes): rename one`,
          p.source,
          ["name"],
        ),
      );
    } else seen.set(name, p);
  }
  return out;
}

/**
 * Literal list items a ConstraintTemplate's Rego may hold in all. OPA's Wasm compiler needs
 * memory that grows faster than a literal's size (about 2 GiB for 4,000 strings of 60 bytes);
 * past this the template would not compile in Gatekeeper's own bounds, so the build says so.
 */
export const MAX_REGO_LITERAL_ITEMS = 2500;

/** What a ConstraintTemplate cannot carry for this policy: literal lists too long for OPA's compiler. */
export function gatekeeperIssues(p: Policy): Issue[] {
  let total = 0;
  let largest: { items: number; source: Policy["source"] } | undefined;
  walkPolicy(p, (e) => {
    for (const o of operandsOf(e))
      for (const v of [o, ...valueChildren(o)])
        if (v.kind === "literal" && Array.isArray(v.value)) {
          total += v.value.length;
          if (!largest || v.value.length > largest.items) largest = { items: v.value.length, source: v.source };
        }
  });
  if (total <= MAX_REGO_LITERAL_ITEMS || !largest) return [];
  return [
    issue(
      "unsupported_by_target",
      `gatekeeper: the policy writes ${total} literal list items into its Rego (this list has ${largest.items}), more than OPA's Wasm compiler compiles in bounded memory (${MAX_REGO_LITERAL_ITEMS}); declare the list as a parameter (Gatekeeper reads parameters from the Constraint), or skip this target`,
      largest.source,
    ),
  ];
}
