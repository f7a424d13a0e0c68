/**
 * The `gatekeeper` engine: ConstraintTemplates compiled by OPA's compiler to Wasm and evaluated
 * with @open-policy-agent/opa-wasm, Constraint match applied first, as Gatekeeper does.
 */
import type { CompileProblem, RegoCompiler } from "../opa/compiler.js";
import { compileWithCache, type CompileStats } from "../opa/cache.js";
import { RegoPolicy } from "../opa/policy.js";
import { isNamespaced, type AdmissionRequest, type KubeObject } from "../request.js";
import { constraintMatches, type MatchResult } from "./match.js";
import { gatekeeperReview, inventoryOf } from "./review.js";
import { entrypoint, templateUnit, type ConstraintSpec, type TemplateSpec } from "./template.js";

export * from "./match.js";
export * from "./review.js";
export * from "./template.js";

export interface Violation {
  readonly msg: string;
  readonly details?: unknown;
}

export type ConstraintResult =
  | { readonly status: "not-matched"; readonly constraint: ConstraintSpec; readonly reason: string }
  | { readonly status: "not-applicable"; readonly constraint: ConstraintSpec; readonly reason: string }
  | { readonly status: "evaluated"; readonly constraint: ConstraintSpec; readonly violations: readonly Violation[] }
  | { readonly status: "error"; readonly constraint: ConstraintSpec; readonly error: string };

export interface TemplateCompileError {
  readonly template: TemplateSpec;
  readonly problems: readonly CompileProblem[];
}

/** A compile problem as `<template source>: template <name>, <module>:<row>:<col>: <message>`. */
export function formatTemplateProblem(t: TemplateSpec, p: CompileProblem): string {
  const where = p.file ? `${p.file}${p.row ? `:${p.row}${p.col ? `:${p.col}` : ""}` : ""}` : "";
  return `${t.source}: ConstraintTemplate ${t.name}${where ? ` (${where})` : ""}: ${p.code}: ${p.message}`;
}

/** A compiled template, and the cluster objects last loaded as its data.inventory. */
interface Entry {
  readonly template: TemplateSpec;
  readonly policy: RegoPolicy;
  inventoryOf?: readonly KubeObject[];
}

/** Templates are told apart by where they came from and their name (two suites may define the same kind). */
const templateKey = (t: TemplateSpec) => `${t.source}\0${t.name}`;

export class GatekeeperEngine {
  private constructor(
    private readonly policies: ReadonlyMap<string, Entry>,
    readonly stats: CompileStats,
  ) {}

  /**
   * Compiles every template in one compiler run (cached by content hash). Templates that fail
   * are returned as errors; the engine holds the rest.
   */
  static async prepare(
    templates: readonly TemplateSpec[],
    compiler: RegoCompiler,
    cacheDir: string | undefined,
  ): Promise<{ engine: GatekeeperEngine; errors: TemplateCompileError[] }> {
    const { results, stats } = await compileWithCache(compiler, templates.map(templateUnit), cacheDir);
    const policies = new Map<string, Entry>();
    const errors: TemplateCompileError[] = [];
    templates.forEach((t, i) => {
      const r = results[i]!;
      if (!r.ok) errors.push({ template: t, problems: r.problems });
      else {
        try {
          policies.set(templateKey(t), { template: t, policy: RegoPolicy.load(new WebAssembly.Module(r.wasm)) });
        } catch (error) {
          errors.push({ template: t, problems: [{ code: "wasm_load_error", message: (error as Error).message }] });
        }
      }
    });
    return { engine: new GatekeeperEngine(policies, stats), errors };
  }

  /** The first template defining each Constraint kind, indexed once (a scan per review cost ~10 µs at 500 templates). */
  private byKind: Map<string, Entry> | undefined;

  /** The compiled template for a constraint: the given template, else the one defining its kind. */
  private lookup(kind: string, template?: TemplateSpec) {
    if (template) return this.policies.get(templateKey(template));
    if (!this.byKind) {
      this.byKind = new Map();
      for (const entry of this.policies.values()) if (!this.byKind.has(entry.template.kind)) this.byKind.set(entry.template.kind, entry);
    }
    return this.byKind.get(kind);
  }

  /**
   * Reviews a request against one constraint: match, then `violation` (for policyc templates
   * `policyc_review`, which also tells "does not apply" apart, in the same query). `audit`
   * builds the review Gatekeeper's audit builds (no operation).
   * `timeoutMs` bounds each evaluation (users' templates can loop for ever; Gatekeeper's own
   * bound is its webhook timeout).
   */
  review(
    constraint: ConstraintSpec,
    req: AdmissionRequest,
    options: { audit?: boolean; template?: TemplateSpec; timeoutMs?: number } = {},
  ): ConstraintResult {
    const entry = this.lookup(constraint.kind, options.template);
    if (!entry) return { status: "error", constraint, error: `no ConstraintTemplate defines kind ${constraint.kind}` };
    const match: MatchResult = constraintMatches(constraint.match, req);
    if (!match.matched) return { status: "not-matched", constraint, reason: match.reason };
    const { template, policy } = entry;
    const input = { review: gatekeeperReview(req, options.audit), parameters: constraint.parameters ?? {} };
    try {
      // data.inventory is loaded into the module only when the cluster objects change: a case
      // list shares one (usually empty) inventory, and setData re-serialises it into Wasm memory.
      const objects = req.cluster?.objects ?? [];
      const unchanged = entry.inventoryOf === objects || (entry.inventoryOf?.length === 0 && objects.length === 0);
      if (!unchanged) {
        policy.setData({ inventory: inventoryOf(objects, isNamespaced) });
        entry.inventoryOf = objects;
      }
      const limit = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
      let value: unknown;
      if (template.policyc) {
        // One query: undefined when the policy does not apply, else { violations }.
        const review = policy.evaluate(entrypoint(template, "policyc_review"), input, limit) as { violations?: unknown } | undefined;
        if (review === undefined)
          return { status: "not-applicable", constraint, reason: "the template's applies rule is false (operation or precondition)" };
        value = review.violations;
      } else value = policy.evaluate(entrypoint(template, "violation"), input, limit);
      const violations = Array.isArray(value) ? (value as Violation[]) : [];
      return {
        status: "evaluated",
        constraint,
        violations: [...violations].sort((a, b) => (String(a.msg) < String(b.msg) ? -1 : String(a.msg) > String(b.msg) ? 1 : 0)),
      };
    } catch (error) {
      return { status: "error", constraint, error: (error as Error).message };
    }
  }
}
