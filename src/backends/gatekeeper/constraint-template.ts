import { readsNamespace, instanceName, type Enforcement, type Policy } from "../../ir/index.js";
import { printRegoModule } from "../../lower/rego/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

const ACTIONS: Record<Enforcement, string> = { enforce: "deny", audit: "dryrun", warn: "warn" };

/** The constraint kind: the policy name in PascalCase (`no-wildcard-verbs` → `NoWildcardVerbs`). */
export function constraintKind(p: Policy): string {
  return p.name
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/** What Gatekeeper must sync for the template's Rego to read the request's Namespace. */
export const NAMESPACE_SYNC = [{ groups: [""], versions: ["v1"], kinds: ["Namespace"] }];

function annotations(p: Policy): Record<string, string> {
  const a: Record<string, string> = {};
  // Gatekeeper's own annotation naming the cluster data a template reads (informational; the sync
  // itself is the Config policyc emits, see toGatekeeperSyncConfig).
  if (readsNamespace(p)) a["metadata.gatekeeper.sh/requires-sync-data"] = JSON.stringify([NAMESPACE_SYNC]);
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
  const match: Record<string, unknown> = {
    kinds: [...groups.entries()].map(([g, kinds]) => ({ apiGroups: [g], kinds })),
    ...(p.match.namespaces?.include ? { namespaces: [...p.match.namespaces.include] } : {}),
    ...(p.match.namespaces?.exclude ? { excludedNamespaces: [...p.match.namespaces.exclude] } : {}),
    ...(p.match.labelSelector ? { labelSelector: p.match.labelSelector } : {}),
    ...(p.match.namespaceSelector ? { namespaceSelector: p.match.namespaceSelector } : {}),
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
