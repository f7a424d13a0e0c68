/**
 * `input` as Gatekeeper builds it for a template's Rego: `{"review": <gkReview>, "parameters":
 * <constraint spec.parameters>}`. For an admission request the review is the AdmissionRequest
 * (`kind`, `name`, `namespace`, `operation`, `userInfo`, `object`, `oldObject`, `dryRun`...);
 * for an object checked by audit (or a gator case given as a plain object) it carries only
 * `kind`, `name`, `namespace` and `object` — no operation.
 */
import { DEFAULT_USER, groupVersionOf, sentUserInfo, subjectObject, type AdmissionRequest, type KubeObject } from "../../kube/index.js";

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
  const kind = { group, version, kind: o.kind ?? "" };
  const name = o.metadata?.name ?? "";
  const namespace = o.metadata?.namespace ?? "";
  if (audit) return { kind, name, namespace, object: o };
  // Built without object spread: this runs once per evaluation, and spread-built objects cost
  // several microseconds here.
  const userInfo = req.userInfo ? sentUserInfo(req.userInfo) : DEFAULT_USER;
  const review: { -readonly [K in keyof GatekeeperReview]: GatekeeperReview[K] } = {
    kind,
    name,
    namespace,
    uid: "policyc-test",
    operation: req.operation,
    userInfo,
  };
  if (req.object) review.object = req.object;
  if (req.oldObject) review.oldObject = req.oldObject;
  review.dryRun = req.dryRun ?? false;
  return review;
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
