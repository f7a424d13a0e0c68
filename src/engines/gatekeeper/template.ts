/** ConstraintTemplates and Constraints read as Gatekeeper reads them, and their compile units. */
import type { KubeObject } from "../../kube/index.js";
import type { CompileUnit, RegoModule } from "../opa/index.js";
import type { ConstraintMatch } from "./match.js";

export const ADMISSION_TARGET = "admission.k8s.gatekeeper.sh";
export const CONSTRAINTS_GROUP = "constraints.gatekeeper.sh";

export interface TemplateSpec {
  /** metadata.name */
  readonly name: string;
  /** The Constraint kind it defines (spec.crd.spec.names.kind). */
  readonly kind: string;
  readonly rego: string;
  readonly libs: readonly string[];
  /** Rego v0 unless the template's code block says `version: "v1"`. */
  readonly regoVersion: 0 | 1;
  /** The Rego package (`package x.y`); entrypoints live under it. */
  readonly package: string;
  /** Where the Rego and each lib sit in the template document (for locating compile errors). */
  readonly fields: { readonly rego: readonly (string | number)[]; readonly libs: readonly (readonly (string | number)[])[] };
}

export interface ConstraintSpec {
  readonly kind: string;
  readonly name: string;
  readonly enforcementAction: string;
  /** With `enforcementAction: scoped`: each action and the enforcement points it applies at (`*`: all). */
  readonly scopedEnforcementActions?: readonly { readonly action: string; readonly points: readonly string[] }[];
  readonly match?: ConstraintMatch;
  readonly parameters: unknown;
}

/** A template Gatekeeper could not use (no kind, no Rego): the field and what is wrong. */
export interface TemplateProblem {
  readonly field: readonly (string | number)[];
  readonly message: string;
}

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);

export function regoPackageOf(rego: string): string | undefined {
  return /^\s*package\s+([A-Za-z_][\w.]*)/m.exec(rego)?.[1];
}

/** Reads a ConstraintTemplate: the admission target's Rego (`rego`, or a Rego `code` entry) and libs. */
export function readTemplate(doc: KubeObject): { ok: true; template: TemplateSpec } | { ok: false; problem: TemplateProblem } {
  const name = String(get(doc, "metadata", "name") ?? "");
  const bad = (field: (string | number)[], message: string) => ({
    ok: false as const,
    problem: { field, message: `ConstraintTemplate ${name}: ${message}` },
  });
  const kind = get(doc, "spec", "crd", "spec", "names", "kind");
  if (typeof kind !== "string" || !kind) return bad(["spec", "crd", "spec", "names", "kind"], "spec.crd.spec.names.kind is required");
  const targets = get(doc, "spec", "targets");
  const found = Array.isArray(targets) ? targets.findIndex((t) => get(t, "target") === ADMISSION_TARGET) : -1;
  const ti = found >= 0 ? found : 0;
  const target = Array.isArray(targets) ? targets[ti] : undefined;
  if (!target) return bad(["spec", "targets"], `spec.targets has no ${ADMISSION_TARGET} target`);
  let rego = get(target, "rego");
  let libs = get(target, "libs");
  let base: (string | number)[] = ["spec", "targets", ti];
  let version: 0 | 1 = 0;
  const code = get(target, "code");
  if (Array.isArray(code)) {
    const ci = code.findIndex((c) => get(c, "engine") === "Rego");
    const regoCode = code[ci];
    if (regoCode) {
      if (get(regoCode, "source", "rego") !== undefined) {
        rego = get(regoCode, "source", "rego");
        libs = get(regoCode, "source", "libs");
        base = ["spec", "targets", ti, "code", ci, "source"];
      }
      if (get(regoCode, "source", "version") === "v1") version = 1;
    }
  }
  if (typeof rego !== "string" || !rego.trim()) {
    return bad(
      [...base, "rego"],
      `no Rego for target ${ADMISSION_TARGET} (templates with only a CEL body are not evaluated on the Rego engine)`,
    );
  }
  const pkg = regoPackageOf(rego);
  if (!pkg) return bad([...base, "rego"], "the Rego has no package declaration");
  const libIndexes = Array.isArray(libs) ? libs.flatMap((l, i) => (typeof l === "string" ? [i] : [])) : [];
  const libList = libIndexes.map((i) => (libs as string[])[i]!);
  const fields = { rego: [...base, "rego"], libs: libIndexes.map((i) => [...base, "libs", i]) };
  return { ok: true, template: { name, kind, rego, libs: libList, regoVersion: version, package: pkg, fields } };
}

export function isConstraint(doc: KubeObject): boolean {
  return typeof doc.apiVersion === "string" && doc.apiVersion.startsWith(`${CONSTRAINTS_GROUP}/`);
}

export function readConstraint(doc: KubeObject): ConstraintSpec {
  return {
    kind: doc.kind ?? "",
    name: doc.metadata?.name ?? "",
    enforcementAction: String(get(doc, "spec", "enforcementAction") ?? "deny"),
    ...(Array.isArray(get(doc, "spec", "scopedEnforcementActions"))
      ? {
          scopedEnforcementActions: (get(doc, "spec", "scopedEnforcementActions") as unknown[]).map((s) => ({
            action: String(get(s, "action") ?? ""),
            points: ((get(s, "enforcementPoints") as unknown[] | undefined) ?? []).map((p) => String(get(p, "name") ?? "")),
          })),
        }
      : {}),
    match: get(doc, "spec", "match") as ConstraintMatch | undefined,
    parameters: get(doc, "spec", "parameters") ?? {},
  };
}

/** Which of the template's Rego a compile problem's module path is: the main Rego, or a lib. */
export function moduleField(t: TemplateSpec, modulePath: string | undefined): readonly (string | number)[] {
  const i = t.libs.findIndex((_, k) => libPath(t, k) === modulePath);
  return i >= 0 ? t.fields.libs[i]! : t.fields.rego;
}

export const entrypoint = (t: TemplateSpec, rule: string) => `${t.package.replaceAll(".", "/")}/${rule}`;

const libPath = (t: TemplateSpec, i: number) => `${t.name}/lib-${i + 1}.rego`;

/** A Rego module compiled next to a template, with the entrypoint it answers (see `GatekeeperDocuments.reviews`). */
export interface ReviewModule {
  readonly template: string;
  readonly module: string;
  readonly entrypoint: string;
  /**
   * The kinds synced into `data.inventory` for the template (Gatekeeper's `Config` sync): its
   * inventory holds objects of these kinds only, as a cluster's would. Undefined: every object.
   */
  readonly synced?: readonly { readonly group: string; readonly version: string; readonly kind: string }[];
}

/**
 * The compile unit of a template: its Rego and libs, compiled together and apart from other
 * templates. A review module, when given, is compiled with them, strictly (policyc's own Rego).
 */
export function templateUnit(t: TemplateSpec, review?: ReviewModule): CompileUnit {
  const modules: RegoModule[] = [
    { path: `${t.name}/template.rego`, source: t.rego },
    ...t.libs.map((source, i) => ({ path: libPath(t, i), source })),
    ...(review ? [{ path: `${t.name}/review.rego`, source: review.module }] : []),
  ];
  return {
    modules,
    entrypoints: [entrypoint(t, "violation"), ...(review ? [review.entrypoint] : [])],
    regoVersion: t.regoVersion,
    strict: review !== undefined,
  };
}

/** Gatekeeper's enforcement points (docs: "Enforcement points in Gatekeeper"). */
export const ENFORCEMENT_POINTS = {
  webhook: "validation.gatekeeper.sh",
  audit: "audit.gatekeeper.sh",
  gator: "gator.gatekeeper.sh",
} as const;

/**
 * The actions a constraint takes at an enforcement point: its `enforcementAction`, or with
 * `scoped`, those of its `scopedEnforcementActions` that name the point (or `*`); none: the
 * constraint is not enforced there.
 */
export function actionsAt(c: ConstraintSpec, point: string): string[] {
  if (c.enforcementAction !== "scoped") return [c.enforcementAction];
  return [
    ...new Set((c.scopedEnforcementActions ?? []).filter((s) => s.points.includes(point) || s.points.includes("*")).map((s) => s.action)),
  ];
}
