/**
 * Kyverno's autogen: a policy written for Pods also checks the pod templates of the controllers
 * that create them. Written from Kyverno's documentation ("Auto-Gen Rules") and its source
 * (pkg/cel/autogen for ValidatingPolicy, pkg/autogen/v1 for ClusterPolicy rules); the behaviour
 * is Kyverno's, the code is policyc's.
 */
import { BUILTIN_KINDS, kyvernoAutogens, POD_CONTROLLERS, type KubeObject } from "../../kube/index.js";
import type { PolicySpec } from "./validating-policy.js";

/** A controller ValidatingPolicy autogen covers: its resource rule and which rewriting applies. */
interface VpTarget {
  readonly resource: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly rewrite: "defaults" | "cronjobs";
}

/** ValidatingPolicy autogen covers the same controllers as policyc's pod policies. */
const VP_TARGETS: readonly VpTarget[] = POD_CONTROLLERS.map(({ kind: k }) => ({
  resource: k.resource,
  group: k.group,
  version: k.version,
  kind: k.kind,
  rewrite: k.kind === BUILTIN_KINDS.CronJob.kind ? "cronjobs" : "defaults",
}));

/** Where the pod's `spec` and `metadata` sit in each kind of controller. */
const TEMPLATE_PATHS = {
  defaults: { spec: "spec.template.spec", metadata: "spec.template.metadata" },
  cronjobs: { spec: "spec.jobTemplate.spec.template.spec", metadata: "spec.jobTemplate.spec.template.metadata" },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether a ValidatingPolicy's matchConstraints allow autogen (Kyverno's CanAutoGen). */
export function canAutogenValidatingPolicy(spec: PolicySpec): boolean {
  return kyvernoAutogens(spec["matchConstraints"]);
}

/** An autogen variant of a ValidatingPolicy: its name and the rewritten spec. */
export interface AutogenVariant {
  /** `autogen-defaults` (Deployments, DaemonSets…) or `autogen-cronjobs`. */
  readonly name: string;
  /** The controller kinds it matches. */
  readonly kinds: readonly string[];
  readonly spec: PolicySpec;
}

/**
 * The autogen variants of a ValidatingPolicy. Controllers come from
 * `spec.autogen.podControllers.controllers` when it is set (an empty list switches autogen off),
 * else every supported controller. Each variant matches its controllers with the policy's
 * operations, guards each match condition by the controller kinds, and reads the pod template
 * wherever the policy reads `object.spec` / `object.metadata`.
 */
export function validatingPolicyAutogen(spec: PolicySpec): AutogenVariant[] {
  if (!canAutogenValidatingPolicy(spec)) return [];
  const autogen = spec["autogen"];
  const listed = isObject(autogen) && isObject(autogen.podControllers) ? autogen.podControllers.controllers : undefined;
  const wanted = Array.isArray(listed) ? new Set(listed.map(String)) : new Set(VP_TARGETS.map((t) => t.resource));
  const targets = VP_TARGETS.filter((t) => wanted.has(t.resource));
  const operations = ((spec["matchConstraints"] as { resourceRules: { operations?: unknown }[] }).resourceRules[0]!.operations ??
    []) as unknown[];
  const variants: AutogenVariant[] = [];
  for (const rewrite of ["cronjobs", "defaults"] as const) {
    const group = targets.filter((t) => t.rewrite === rewrite);
    if (group.length === 0) continue;
    const name = `autogen-${rewrite}`;
    const byGv = new Map<string, VpTarget[]>();
    for (const t of group) byGv.set(`${t.group}/${t.version}`, [...(byGv.get(`${t.group}/${t.version}`) ?? []), t]);
    const resourceRules = [...byGv.keys()].sort().map((gv) => {
      const ts = byGv.get(gv)!;
      return { apiGroups: [ts[0]!.group], apiVersions: [ts[0]!.version], resources: ts.map((t) => t.resource).sort(), operations };
    });
    const precondition = group
      .map((t) => `(object.apiVersion == '${t.group ? `${t.group}/` : ""}${t.version}' && object.kind =='${t.kind}')`)
      .sort()
      .join("||");
    const conditions = Array.isArray(spec["matchConditions"])
      ? (spec["matchConditions"] as { name?: unknown; expression?: unknown }[])
      : [];
    const copy: Record<string, unknown> = {
      ...spec,
      matchConstraints: { resourceRules },
      ...(conditions.length
        ? {
            matchConditions: conditions.map((c) => ({
              name: `${name}-${String(c.name)}`,
              expression: `!(${precondition}) || (${String(c.expression)})`,
            })),
          }
        : {}),
    };
    const rewritten = JSON.parse(rewriteProtected(JSON.stringify(copy), rewrite)) as PolicySpec;
    variants.push({ name, kinds: group.map((t) => t.kind), spec: rewritten });
  }
  return variants;
}

/**
 * ValidatingPolicy autogen's rewriting: `object.spec` / `oldObject.spec` and `object.metadata` /
 * `oldObject.metadata` move into the pod template, except `.metadata.name` and
 * `.metadata.namespace` (and `.spec.name`…), which stay on the controller itself: pod templates
 * usually carry neither.
 */
export function rewriteProtected(text: string, rewrite: "defaults" | "cronjobs"): string {
  let out = text;
  for (const from of ["spec", "metadata"] as const) {
    const to = TEMPLATE_PATHS[rewrite][from];
    out = replaceUnprotected(out, `object.${from}`, `object.${to}`);
    out = replaceUnprotected(out, `oldObject.${from}`, `oldObject.${to}`);
  }
  return out;
}

const PROTECTED = [".namespace", ".name"];
const IDENTIFIER = /[A-Za-z0-9_]/;

function replaceUnprotected(text: string, from: string, to: string): string {
  let out = "";
  let rest = text;
  for (let i = rest.indexOf(from); i >= 0; i = rest.indexOf(from)) {
    out += rest.slice(0, i);
    const after = rest.slice(i + from.length);
    const protectedHere = PROTECTED.some((p) => after.startsWith(p) && !IDENTIFIER.test(after.charAt(p.length)));
    out += protectedHere ? from : to;
    rest = after;
  }
  return out + rest;
}

/* ClusterPolicy (kyverno.io/v1) rules with validate.cel. */

/** The controllers ClusterPolicy autogen covers when the annotation does not narrow them. */
export const CLUSTER_POLICY_CONTROLLERS: readonly string[] = [
  ...POD_CONTROLLERS.map((c) => c.kind.kind),
  BUILTIN_KINDS.ReplicationController.kind,
];
export const AUTOGEN_ANNOTATION = "pod-policies.kyverno.io/autogen-controllers";

interface ResourceDescription {
  readonly kinds?: readonly string[];
  readonly name?: string;
  readonly names?: readonly string[];
  readonly selector?: unknown;
  readonly annotations?: unknown;
}

const blocksOf = (m: unknown): ResourceDescription[] => {
  if (!isObject(m)) return [];
  const out: ResourceDescription[] = [];
  if (isObject(m.resources)) out.push(m.resources as ResourceDescription);
  for (const key of ["any", "all"]) {
    if (Array.isArray(m[key]))
      for (const f of m[key] as unknown[]) if (isObject(f) && isObject(f.resources)) out.push(f.resources as ResourceDescription);
  }
  return out;
};

const kindName = (k: string) => k.split("/").at(-1)!;

/**
 * Whether a ClusterPolicy's rules allow autogen, policy-wide: no rule generates or patches with
 * JSON6902, no match or exclude names resources by name or selects them by labels or
 * annotations, none mixes Pod with other kinds, and some rule matches Pods or controllers.
 */
export function canAutogenClusterPolicy(rules: readonly Record<string, unknown>[]): boolean {
  let needed = false;
  const podish = new Set<string>(["Pod", ...CLUSTER_POLICY_CONTROLLERS]);
  for (const rule of rules) {
    if (rule.generate) return false;
    const mutate = rule.mutate;
    if (
      isObject(mutate) &&
      (mutate.patchesJson6902 || (Array.isArray(mutate.foreach) && mutate.foreach.some((f) => isObject(f) && f.patchesJson6902)))
    )
      return false;
    for (const d of [...blocksOf(rule.match), ...blocksOf(rule.exclude)]) {
      const kinds = (d.kinds ?? []).map(kindName);
      if (d.name || (d.names?.length ?? 0) > 0 || d.selector || d.annotations || (kinds.length > 1 && kinds.includes("Pod"))) return false;
      if (kinds.some((k) => podish.has(k))) needed = true;
    }
  }
  return needed;
}

/** The controllers a ClusterPolicy's autogen covers: the annotation's list, none for `none`, else all. */
export function clusterPolicyControllers(policy: KubeObject, rules: readonly Record<string, unknown>[]): string[] {
  if (!canAutogenClusterPolicy(rules)) return [];
  const annotation = policy.metadata?.annotations?.[AUTOGEN_ANNOTATION];
  if (annotation === undefined) return [...CLUSTER_POLICY_CONTROLLERS];
  if (annotation === "none") return [];
  return annotation.split(",");
}

/** An autogen rule of a ClusterPolicy: its name, the kinds it matches, and the rewritten rule. */
export interface AutogenRule {
  readonly name: string;
  readonly rule: Record<string, unknown>;
}

/** Kinds of a resource filter list, replaced by `kinds` where they include Pod (or everywhere). */
function replaceKinds(filters: unknown, kinds: readonly string[], onlyPod: boolean): unknown {
  if (!Array.isArray(filters)) return filters;
  return filters.map((f) => {
    if (!isObject(f) || !isObject(f.resources)) return f;
    const own = ((f.resources.kinds as string[] | undefined) ?? []).map(kindName);
    if (onlyPod && !own.includes("Pod")) return f;
    return { ...f, resources: { ...f.resources, kinds: [...kinds] } };
  });
}

function withKinds(block: unknown, kinds: readonly string[], onlyPod: boolean, legacyOnlyIfSet: boolean): unknown {
  if (!isObject(block)) return block;
  if (Array.isArray(block.any) && block.any.length) return { ...block, any: replaceKinds(block.any, kinds, onlyPod) };
  if (Array.isArray(block.all) && block.all.length) return { ...block, all: replaceKinds(block.all, kinds, onlyPod) };
  if (!isObject(block.resources)) return block;
  if (legacyOnlyIfSet && !((block.resources.kinds as unknown[] | undefined)?.length ?? 0)) return block;
  return { ...block, resources: { ...block.resources, kinds: [...kinds] } };
}

const truncate = (name: string) => (name.length > 63 ? name.slice(0, 63) : name);

/** ClusterPolicy CEL rewriting: plain replacement of the four prefixes, no protected fields. */
function rewriteCel(text: string, paths: { spec: string; metadata: string }): string {
  return text
    .replaceAll("object.spec", `object.${paths.spec}`)
    .replaceAll("oldObject.spec", `oldObject.${paths.spec}`)
    .replaceAll("object.metadata", `object.${paths.metadata}`)
    .replaceAll("oldObject.metadata", `oldObject.${paths.metadata}`);
}

/**
 * The autogen rules of one ClusterPolicy rule: `autogen-<rule>` for the non-CronJob controllers
 * and `autogen-cronjob-<rule>` for CronJobs. Only a rule that matches Pods (and, if it excludes
 * kinds, excludes Pods) gets them.
 */
export function clusterPolicyRuleAutogen(rule: Record<string, unknown>, controllers: readonly string[]): AutogenRule[] {
  const name = String(rule.name ?? "");
  if (name.startsWith("autogen-") || controllers.length === 0) return [];
  const matchKinds = blocksOf(rule.match).flatMap((d) => (d.kinds ?? []).map(kindName));
  const excludeKinds = blocksOf(rule.exclude).flatMap((d) => (d.kinds ?? []).map(kindName));
  if (!matchKinds.includes("Pod") || (excludeKinds.length > 0 && !excludeKinds.includes("Pod"))) return [];
  const out: AutogenRule[] = [];
  const regular = controllers.filter((c) => c !== "CronJob" && CLUSTER_POLICY_CONTROLLERS.includes(c)).sort();
  const base = (kinds: readonly string[]) => ({
    ...rule,
    match: withKinds(rule.match, kinds, true, false),
    ...(rule.exclude ? { exclude: withKinds(rule.exclude, kinds, true, true) } : {}),
  });
  if (regular.length) {
    const r = base(regular);
    out.push({
      name: truncate(`autogen-${name}`),
      rule: JSON.parse(rewriteCel(JSON.stringify({ ...r, name: truncate(`autogen-${name}`) }), TEMPLATE_PATHS.defaults)),
    });
  }
  if (controllers.includes("CronJob")) {
    const podRule = base(regular.length ? regular : ["CronJob"]);
    const cron = {
      ...podRule,
      name: truncate(`autogen-cronjob-${name}`),
      match: withKinds(podRule.match, ["CronJob"], false, false),
      ...(podRule.exclude ? { exclude: withKinds(podRule.exclude, ["CronJob"], false, true) } : {}),
    };
    out.push({ name: cron.name, rule: JSON.parse(rewriteCel(JSON.stringify(cron), TEMPLATE_PATHS.cronjobs)) });
  }
  return out;
}
