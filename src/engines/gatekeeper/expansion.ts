/**
 * ExpansionTemplates (expansion.gatekeeper.sh): a resource such as a Deployment also stands for
 * the resources it will create, and constraints review those too. Follows Gatekeeper's
 * documentation ("Validating Workload Resources using ExpansionTemplate") and its expansion
 * system: for each template whose `applyTo` names the object's group, version and kind, the
 * field at `templateSource` becomes an object of `generatedGVK`, in the object's namespace,
 * named `<object name>-<kind>` in lower case. Violations on it are reported with the prefix
 * `[Implied by <template>]`, under the template's enforcementAction when it sets one.
 */
import { groupVersionOf, type KubeObject } from "../../kube/index.js";

export interface Resultant {
  readonly object: KubeObject;
  /** The ExpansionTemplate's name. */
  readonly template: string;
  readonly enforcementAction?: string;
}

interface ApplyTo {
  readonly groups?: readonly string[];
  readonly kinds?: readonly string[];
  readonly versions?: readonly string[];
}

export function isExpansionTemplate(doc: KubeObject): boolean {
  return doc.kind === "ExpansionTemplate" && typeof doc.apiVersion === "string" && doc.apiVersion.startsWith("expansion.gatekeeper.sh/");
}

/** The resultant resources of an object under the given ExpansionTemplates. */
export function expand(object: KubeObject, templates: readonly KubeObject[]): Resultant[] {
  const { group, version } = groupVersionOf(object.apiVersion);
  const out: Resultant[] = [];
  for (const t of templates) {
    const spec = (t as { spec?: Record<string, unknown> }).spec ?? {};
    const applyTo = (spec.applyTo as ApplyTo[] | undefined) ?? [];
    const applies = applyTo.some(
      (a) => (a.groups ?? []).includes(group) && (a.kinds ?? []).includes(object.kind ?? "") && (a.versions ?? []).includes(version),
    );
    if (!applies) continue;
    const source = String(spec.templateSource ?? "")
      .split(".")
      .filter(Boolean)
      .reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), object);
    if (!source || typeof source !== "object") continue;
    const gvk = (spec.generatedGVK as { group?: string; version?: string; kind?: string } | undefined) ?? {};
    const src = source as KubeObject;
    const kind = gvk.kind ?? "";
    const resultant: KubeObject = {
      ...src,
      apiVersion: gvk.group ? `${gvk.group}/${gvk.version ?? ""}` : (gvk.version ?? ""),
      kind,
      metadata: {
        ...(src.metadata ?? {}),
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        name: `${object.metadata?.name ?? ""}${kind ? "-" : ""}${kind}`.toLowerCase(),
      },
    };
    out.push({
      object: resultant,
      template: String(t.metadata?.name ?? ""),
      ...(typeof spec.enforcementAction === "string" ? { enforcementAction: spec.enforcementAction } : {}),
    });
  }
  return out;
}
