/**
 * The `gatekeeper` engine: ConstraintTemplates compiled by OPA's compiler to Wasm and evaluated
 * with opa-wasm behind each Constraint's match, with Gatekeeper's `input` (review, parameters),
 * `data.inventory` and ExpansionTemplates, as Gatekeeper and gator do.
 */
import { isNamespaced, clusterObjects, subjectObject, type AdmissionRequest, type KubeObject } from "../../kube/index.js";
import { compileWithCache, RegoMemoryError, RegoPolicy, RegoTimeoutError, type CompileStats, type RegoCompiler } from "../opa/index.js";
import {
  failure,
  skip,
  type DocumentSet,
  type Engine,
  type EngineRequest,
  type EvaluateOptions,
  type Prepared,
  type SetProblem,
  type Verdict,
  type Violation,
} from "../verdict/index.js";
import { expand, isExpansionTemplate } from "./expansion.js";
import { constraintMatches } from "./match.js";
import { gatekeeperReview, inventoryOf } from "./review.js";
import { actionsAt, ENFORCEMENT_POINTS } from "./template.js";
import {
  entrypoint,
  isConstraint,
  moduleField,
  readConstraint,
  readTemplate,
  templateUnit,
  type ConstraintSpec,
  type ReviewModule,
  type TemplateSpec,
} from "./template.js";

export { constraintMatches, gatekeeperGlob, type ConstraintMatch } from "./match.js";
export { gatekeeperReview, inventoryOf } from "./review.js";
export { expand, type Resultant } from "./expansion.js";
export { readTemplate, readConstraint, templateUnit, type TemplateSpec, type ConstraintSpec, type ReviewModule } from "./template.js";

/**
 * The documents one cluster holds: ConstraintTemplates, Constraints and ExpansionTemplates.
 * Constraints see only their own set's templates, so two suites may each define a kind.
 */
export interface GatekeeperDocuments extends DocumentSet<KubeObject> {
  /**
   * Review modules compiled next to templates of this set: each answers, in one query,
   * undefined when the template does not apply to the review, else `{violations}` (policyc's
   * generated templates, whose preconditions Gatekeeper alone would report as "no violation").
   */
  readonly reviews?: readonly ReviewModule[];
}

export interface GatekeeperContext {
  readonly compiler: RegoCompiler;
  /** Where compiled Wasm is cached (content hash); undefined: no cache. */
  readonly cacheDir: string | undefined;
}

/** A problem with one set's document. */
export type GatekeeperProblem = SetProblem;

interface Entry {
  readonly template: TemplateSpec;
  readonly policy: RegoPolicy;
  readonly review?: ReviewModule;
  /** The cluster last loaded as its data.inventory. */
  inventoryOf?: AdmissionRequest["cluster"];
  /**
   * Whether its Rego can read data.inventory: Gatekeeper lets a template read no other `data`
   * than data.lib and data.inventory. A template that never names `data` beyond data.lib has no
   * inventory loaded (a large cluster's would be copied into each template's Wasm memory).
   */
  readonly readsInventory: boolean;
}

/** Whether any of the template's Rego names `data` other than data.lib (comments included: a false positive only costs time). */
const readsInventory = (t: TemplateSpec): boolean => [t.rego, ...t.libs].some((r) => /\bdata\b(?!\.lib\b)/.test(r));

interface ClusterSet {
  readonly templates: ReadonlyMap<string, Entry>;
  readonly constraints: ReadonlyMap<string, ConstraintSpec>;
  readonly expansions: readonly KubeObject[];
}

export class GatekeeperEngine implements Engine {
  readonly name = "gatekeeper" as const;
  private constructor(
    private readonly sets: ReadonlyMap<string, ClusterSet>,
    readonly compileStats: CompileStats,
  ) {}

  /** Reads every set's documents and compiles all their templates in one compiler run (cached by content hash). */
  static async prepare(
    sets: readonly GatekeeperDocuments[],
    context: GatekeeperContext,
  ): Promise<Prepared<GatekeeperEngine> & { problems: GatekeeperProblem[] }> {
    const problems: GatekeeperProblem[] = [];
    const pending: { set: string; index: number; template: TemplateSpec; review?: ReviewModule }[] = [];
    const built = new Map<string, { templates: Map<string, Entry>; constraints: Map<string, ConstraintSpec>; expansions: KubeObject[] }>();
    for (const set of sets) {
      const entry = { templates: new Map<string, Entry>(), constraints: new Map<string, ConstraintSpec>(), expansions: [] as KubeObject[] };
      built.set(set.id, entry);
      set.documents.forEach((doc, index) => {
        if (doc.kind === "ConstraintTemplate") {
          const r = readTemplate(doc);
          if (!r.ok)
            problems.push({ set: set.id, code: "invalid_document", document: index, field: r.problem.field, message: r.problem.message });
          else
            pending.push({
              set: set.id,
              index,
              template: r.template,
              ...optional(
                "review",
                set.reviews?.find((x) => x.template === r.template.name),
              ),
            });
        } else if (isConstraint(doc)) {
          const c = readConstraint(doc);
          entry.constraints.set(c.name, c);
        } else if (isExpansionTemplate(doc)) entry.expansions.push(doc);
      });
    }
    const { results, stats } = await compileWithCache(
      context.compiler,
      pending.map((p) => templateUnit(p.template, p.review)),
      context.cacheDir,
    );
    pending.forEach((p, i) => {
      const r = results[i]!;
      const at = (field: readonly (string | number)[], message: string, position?: { row: number; col: number }) =>
        problems.push({
          set: p.set,
          code: "compile_error",
          document: p.index,
          field,
          message: `ConstraintTemplate ${p.template.name}: ${message}`,
          ...(position ? { position } : {}),
        });
      if (!r.ok) {
        for (const c of r.problems)
          at(moduleField(p.template, c.file), `${c.code}: ${c.message}`, c.row ? { row: c.row, col: c.col ?? 1 } : undefined);
        return;
      }
      try {
        const policy = RegoPolicy.fromBytes(r.wasm);
        built.get(p.set)!.templates.set(p.template.kind, {
          template: p.template,
          policy,
          readsInventory: readsInventory(p.template),
          ...optional("review", p.review),
        });
      } catch (error) {
        at(p.template.fields.rego, `wasm_load_error: ${(error as Error).message}`);
      }
    });
    return { engine: new GatekeeperEngine(built, stats), problems };
  }

  has(policy: string, set = ""): boolean {
    return this.sets.get(set)?.constraints.has(policy) ?? false;
  }

  /** The compiled templates live in opa-wasm instances the garbage collector frees. */
  release(): void {}

  /**
   * Reviews a request against one constraint: match, then the template's `violation` (or its
   * review module), for the object and for each resultant of the set's ExpansionTemplates.
   * `audit`: as Gatekeeper's audit reviews (no operation, no user).
   */
  evaluate(request: EngineRequest, options: EvaluateOptions = {}): Verdict {
    const { policy: constraintName, admission: req } = request;
    const cluster = this.sets.get(request.set ?? "");
    const constraint = cluster?.constraints.get(constraintName);
    if (!cluster || !constraint) return failure("missing_document", `no Constraint named ${constraintName}`);
    const entry = cluster.templates.get(constraint.kind);
    if (!entry) return failure("missing_document", `no ConstraintTemplate defines kind ${constraint.kind}`);
    const subject = subjectObject(req);
    const point = options.enforcementPoint ?? (options.audit ? ENFORCEMENT_POINTS.audit : ENFORCEMENT_POINTS.webhook);
    const enforced = actionsAt(constraint, point);
    if (enforced.length === 0) return skip("not_matched", `the constraint's scoped enforcement actions do not name ${point}`);
    const reviews: { request: AdmissionRequest; prefix: string; actions: readonly string[] }[] = [
      { request: req, prefix: "", actions: enforced },
    ];
    if (subject) {
      for (const x of expand(subject, cluster.expansions)) {
        reviews.push({
          request: { ...req, ...(req.object ? { object: x.object } : {}), ...(req.oldObject ? { oldObject: x.object } : {}) },
          prefix: `[Implied by ${x.template}] `,
          actions: x.enforcementAction ? [x.enforcementAction] : enforced,
        });
      }
    }
    const violations: Violation[] = [];
    const actions = new Set<string>();
    let applied = false;
    let notApplicable: Verdict | undefined;
    for (const r of reviews) {
      const match = constraintMatches(constraint.match, r.request);
      if (!match.matched) {
        notApplicable ??= skip("not_matched", match.reason);
        continue;
      }
      const result = this.review(entry, constraint, r.request, options);
      if (result.kind === "error") return result;
      if (result.kind === "skip") {
        notApplicable ??= result;
        continue;
      }
      applied = true;
      for (const v of result.violations) {
        violations.push({ ...v, message: r.prefix + v.message });
        for (const a of r.actions) actions.add(a);
      }
    }
    if (!applied) return notApplicable ?? skip("not_matched", "the constraint does not match the request");
    if (violations.length === 0) return { kind: "allow" };
    violations.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
    return { kind: "deny", actions: [...actions], violations };
  }

  private review(
    entry: Entry,
    constraint: ConstraintSpec,
    req: AdmissionRequest,
    options: EvaluateOptions,
  ):
    | { kind: "error"; cause: { code: "evaluation_error" | "timeout" | "out_of_memory"; detail: string } }
    | { kind: "skip"; cause: { code: "condition_false"; detail: string } }
    | { kind: "evaluated"; violations: Violation[] } {
    const { template, policy } = entry;
    const input = { review: gatekeeperReview(req, options.audit), parameters: constraint.parameters ?? {} };
    try {
      // data.inventory is loaded into the module only when the cluster objects change: a case
      // list shares one (usually empty) inventory, and setData re-serialises it into Wasm memory.
      // Namespaces are cluster objects too: templates read their labels from the inventory.
      // Cases each carry their own cluster object, mostly with the same content (the namespace
      // the case names): the inventory is compared by content, not only by identity.
      const cluster = entry.readsInventory ? (req.cluster ?? NO_CLUSTER) : NO_CLUSTER;
      const unchanged =
        entry.inventoryOf !== undefined &&
        ((entry.inventoryOf.objects === cluster.objects && entry.inventoryOf.namespaces === cluster.namespaces) ||
          clusterKey(entry.inventoryOf) === clusterKey(cluster));
      if (!unchanged) {
        policy.setData({ inventory: inventoryOf(syncedObjects(clusterObjects(cluster), entry.review?.synced), isNamespaced) });
        entry.inventoryOf = cluster;
      }
      const limit = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
      let value: unknown;
      if (entry.review) {
        const review = policy.evaluate(entry.review.entrypoint, input, limit) as { violations?: unknown } | undefined;
        if (review === undefined)
          return {
            kind: "skip",
            cause: { code: "condition_false", detail: "the template's review module says it does not apply (operation or precondition)" },
          };
        value = review.violations;
      } else value = policy.evaluate(entrypoint(template, "violation"), input, limit);
      const found = Array.isArray(value) ? (value as { msg?: unknown; details?: unknown }[]) : [];
      return {
        kind: "evaluated",
        violations: found.map((v) => {
          // A template may name the rule a violation comes from in its details (policyc's do).
          const rule = (v.details as { rule?: unknown } | undefined)?.rule;
          return {
            message: String(v.msg),
            ...(typeof rule === "string" ? { rule } : {}),
            ...(v.details !== undefined ? { details: v.details } : {}),
          };
        }),
      };
    } catch (error) {
      const detail = (error as Error).message;
      const code = error instanceof RegoTimeoutError ? "timeout" : error instanceof RegoMemoryError ? "out_of_memory" : "evaluation_error";
      return { kind: "error", cause: { code, detail } };
    }
  }
}

/**
 * The objects Gatekeeper's sync puts in `data.inventory`: those of the synced kinds when the
 * template says which (a large cluster's every object was copied into each template's Wasm
 * memory: 5,000 objects, about 50 MB per template that reads the inventory), else all of them.
 */
function syncedObjects(
  objects: readonly KubeObject[],
  synced: readonly { readonly group: string; readonly version: string; readonly kind: string }[] | undefined,
): readonly KubeObject[] {
  if (!synced) return objects;
  const keys = new Set(synced.map((k) => `${k.group ? `${k.group}/` : ""}${k.version}\0${k.kind}`));
  return objects.filter((o) => keys.has(`${o.apiVersion ?? ""}\0${o.kind ?? ""}`));
}

/** A request's cluster when it names none: one object, so the identity check answers. */
const NO_CLUSTER: NonNullable<AdmissionRequest["cluster"]> = {};

/** What a cluster's inventory is made of, as text: equal keys give the same data.inventory. Computed once per cluster object. */
const clusterKeys = new WeakMap<NonNullable<AdmissionRequest["cluster"]>, string>();
function clusterKey(cluster: NonNullable<AdmissionRequest["cluster"]>): string {
  let key = clusterKeys.get(cluster);
  if (key === undefined) {
    key = JSON.stringify([cluster.namespaces ?? {}, cluster.objects ?? []]);
    clusterKeys.set(cluster, key);
  }
  return key;
}

const optional = <K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } =>
  value === undefined ? {} : ({ [key]: value } as { [P in K]: T });
export { GatekeeperMutationEngine, parseLocation, MUTATION_ANNOTATION, type PathNode } from "./mutation.js";
