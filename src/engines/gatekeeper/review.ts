/**
 * `input` as Gatekeeper builds it for a template's Rego: `{"review": <gkReview>, "parameters":
 * <constraint spec.parameters>}`. For an admission request the review is the AdmissionRequest
 * (`kind`, `name`, `namespace`, `operation`, `userInfo`, `object`, `oldObject`, `dryRun`...);
 * for an object checked by audit (or a gator case given as a plain object) it carries only
 * `kind`, `name`, `namespace` and `object` — no operation.
 */
import { groupVersionOf, subjectObject, type AdmissionRequest, type KubeObject } from "../request.js";

export interface GatekeeperReview {
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly name: string;
  readonly namespace: string;
  readonly operation?: string;
  readonly userInfo?: unknown;
  readonly object?: KubeObject;
  readonly oldObject?: KubeObject;
  readonly dryRun?: boolean;
  readonly uid?: string;
}

/** The review for an admission request; `audit` leaves out what audit reviews lack (operation, userInfo). */
export function gatekeeperReview(req: AdmissionRequest, audit = false): GatekeeperReview {
  const o = subjectObject(req)!;
  const { group, version } = groupVersionOf(o.apiVersion);
  const base = {
    kind: { group, version, kind: o.kind ?? "" },
    name: o.metadata?.name ?? "",
    namespace: o.metadata?.namespace ?? "",
  };
  if (audit) return { ...base, object: o };
  return {
    ...base,
    uid: "policyc-test",
    operation: req.operation,
    userInfo: { username: "policyc-test", groups: ["system:authenticated"], ...(req.userInfo ?? {}) },
    ...(req.object ? { object: req.object } : {}),
    ...(req.oldObject ? { oldObject: req.oldObject } : {}),
    dryRun: req.dryRun ?? false,
  };
}

/**
 * `data.inventory` as Gatekeeper's sync fills it: cluster-scoped objects under
 * `cluster[groupVersion][kind][name]`, namespaced ones under `namespace[ns][groupVersion][kind][name]`.
 */
export function inventoryOf(objects: readonly KubeObject[], isNamespaced: (o: KubeObject) => boolean): Record<string, unknown> {
  type Tree = { [key: string]: Tree | KubeObject };
  const cluster: Tree = {};
  const namespace: Tree = {};
  const at = (tree: Tree, keys: readonly string[]): Tree => keys.reduce((t, k) => (t[k] ??= {}) as Tree, tree);
  for (const o of objects) {
    const gv = o.apiVersion ?? "";
    const kind = o.kind ?? "";
    const name = o.metadata?.name ?? "";
    if (isNamespaced(o)) {
      const ns = o.metadata?.namespace ?? "default";
      at(namespace, [ns, gv, kind])[name] = o;
    } else {
      at(cluster, [gv, kind])[name] = o;
    }
  }
  return { cluster, namespace };
}
