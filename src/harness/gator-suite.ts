/**
 * `gator verify` suites (test.gatekeeper.sh/v1alpha1 Suite), run unchanged: each test's
 * template, constraint and optional ExpansionTemplates; each case's object (a resource or a full
 * AdmissionReview), inventory and assertions. Follows the Gatekeeper documentation "gator CLI"
 * (verify subcommand): `violations` is `yes` (at least one), `no` (none) or a count; `message`
 * is an unanchored regular expression (RE2) that the counted violations' messages must match.
 */
import path from "node:path";
import { RE2JS } from "re2js";
import { GatekeeperEngine, moduleOf, readConstraint, readTemplate, TemplateError, type TemplateSpec } from "../engines/gatekeeper/index.js";
import type { RegoCompiler } from "../engines/opa/compiler.js";
import type { CompileStats } from "../engines/opa/cache.js";
import { groupVersionOf, type AdmissionRequest, type KubeObject, type Operation } from "../engines/request.js";
import { fieldError, FixtureError, positionInString, readFixtures } from "./fixtures.js";
import type { CompileProblem } from "../engines/opa/compiler.js";
import type { Issue } from "../ir/index.js";
import type { ResultRow } from "./report.js";

export const GATOR_SUITE_API = "test.gatekeeper.sh/v1alpha1";

interface Assertion {
  readonly violations?: string | number;
  readonly message?: string;
}
interface GatorCase {
  readonly name?: string;
  readonly object?: string;
  readonly inventory?: readonly string[];
  readonly assertions?: readonly Assertion[];
  readonly skip?: boolean;
}
interface GatorTest {
  readonly name?: string;
  readonly template?: string;
  readonly constraint?: string;
  readonly expansion?: string;
  readonly cases?: readonly GatorCase[];
  readonly skip?: boolean;
}

export interface GatorSuite {
  readonly file: string;
  readonly name: string;
  readonly tests: readonly GatorTest[];
}

/** Whether a YAML file's text is a gator Suite. */
export function isGatorSuite(text: string): boolean {
  return /^kind:\s*Suite\s*$/m.test(text) && text.includes(GATOR_SUITE_API);
}

export function readGatorSuite(file: string, root: string): GatorSuite {
  const [doc] = readFixtures(file, root, { objects: false });
  const tests = (doc!.object as { tests?: unknown }).tests;
  if (!Array.isArray(tests)) throw fieldError(file, root, ["tests"], "a gator Suite needs a tests list");
  tests.forEach((t: unknown, i) => {
    if (!t || typeof t !== "object" || Array.isArray(t)) throw fieldError(file, root, ["tests", i], "must be a mapping");
    const test = t as Record<string, unknown>;
    if (test.skip === true) return;
    for (const key of ["template", "constraint"]) {
      if (typeof test[key] !== "string" || !test[key])
        throw fieldError(
          file,
          root,
          ["tests", i, key],
          `test ${JSON.stringify(String(test.name ?? ""))}: ${key} is required (a file path)`,
        );
    }
    if (test.cases !== undefined && !Array.isArray(test.cases)) throw fieldError(file, root, ["tests", i, "cases"], "must be a list");
    ((test.cases as unknown[] | undefined) ?? []).forEach((c: unknown, j) => {
      const where = ["tests", i, "cases", j];
      if (!c || typeof c !== "object" || Array.isArray(c)) throw fieldError(file, root, where, "must be a mapping");
      const kase = c as Record<string, unknown>;
      if (kase.skip === true) return;
      if (typeof kase.object !== "string" || !kase.object)
        throw fieldError(
          file,
          root,
          [...where, "object"],
          `case ${JSON.stringify(String(kase.name ?? ""))}: object is required (a file path)`,
        );
      if (kase.assertions !== undefined && !Array.isArray(kase.assertions))
        throw fieldError(file, root, [...where, "assertions"], "must be a list");
      if (kase.inventory !== undefined && (!Array.isArray(kase.inventory) || kase.inventory.some((x) => typeof x !== "string")))
        throw fieldError(file, root, [...where, "inventory"], "must be a list of file paths");
    });
  });
  return { file, name: String(doc!.object.metadata?.name ?? path.basename(file)), tests: tests as GatorTest[] };
}

/** Applies ExpansionTemplates to an object: the resultant resources Gatekeeper also reviews. */
export function expand(
  object: KubeObject,
  templates: readonly KubeObject[],
): { object: KubeObject; by: string; enforcementAction?: string }[] {
  const { group, version } = groupVersionOf(object.apiVersion);
  const out: { object: KubeObject; by: string; enforcementAction?: string }[] = [];
  for (const t of templates) {
    const spec = (t as { spec?: Record<string, unknown> }).spec ?? {};
    const applyTo = (spec.applyTo as { groups?: string[]; kinds?: string[]; versions?: string[] }[] | undefined) ?? [];
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
    const resultant: KubeObject = {
      ...src,
      apiVersion: gvk.group ? `${gvk.group}/${gvk.version ?? ""}` : (gvk.version ?? ""),
      kind: gvk.kind ?? "",
      metadata: {
        ...(src.metadata ?? {}),
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        name: src.metadata?.name ?? `${object.metadata?.name ?? ""}-${(gvk.kind ?? "").toLowerCase()}`,
      },
    };
    out.push({
      object: resultant,
      by: String(t.metadata?.name ?? ""),
      ...(typeof spec.enforcementAction === "string" ? { enforcementAction: spec.enforcementAction } : {}),
    });
  }
  return out;
}

/** The request a gator case object describes: a full AdmissionReview, or a plain object (reviewed as audit reviews it). */
export function caseRequest(object: KubeObject, inventory: readonly KubeObject[]): { request: AdmissionRequest; audit: boolean } {
  const namespaces = Object.fromEntries(
    inventory.filter((o) => o.kind === "Namespace").map((o) => [String(o.metadata?.name ?? ""), o] as const),
  );
  const cluster = { namespaces, objects: inventory };
  if (object.kind === "AdmissionReview") {
    const r = ((object as { request?: Record<string, unknown> }).request ?? {}) as Record<string, unknown>;
    const request: AdmissionRequest = {
      operation: String(r.operation ?? "CREATE") as Operation,
      ...(r.object ? { object: r.object as KubeObject } : {}),
      ...(r.oldObject ? { oldObject: r.oldObject as KubeObject } : {}),
      ...(r.userInfo ? { userInfo: r.userInfo as AdmissionRequest["userInfo"] & object } : {}),
      ...(typeof r.dryRun === "boolean" ? { dryRun: r.dryRun } : {}),
      cluster,
    };
    return { request, audit: false };
  }
  return { request: { operation: "CREATE", object, cluster }, audit: true };
}

function assertionText(a: Assertion): string {
  return `violations: ${a.violations ?? "yes"}${a.message !== undefined ? `, message =~ ${JSON.stringify(a.message)}` : ""}`;
}

/** Whether the violations meet an assertion; the count of matching violations is the row's actual. */
export function checkAssertion(a: Assertion, messages: readonly string[]): { count: number; ok: boolean; error?: string } {
  let matching = messages;
  if (a.message !== undefined) {
    let re: RE2JS;
    try {
      re = RE2JS.compile(a.message);
    } catch (e) {
      return { count: 0, ok: false, error: `invalid message regular expression: ${(e as Error).message}` };
    }
    matching = messages.filter((m) => re.matcher(m).find());
  }
  const want = a.violations ?? "yes";
  const count = matching.length;
  if (want === "yes") return { count, ok: count > 0 };
  if (want === "no") return { count, ok: count === 0 };
  const n = typeof want === "number" ? want : /^\d+$/.test(String(want)) ? Number(want) : NaN;
  if (Number.isNaN(n)) return { count, ok: false, error: `violations must be yes, no or a number, not ${JSON.stringify(want)}` };
  return { count, ok: count === n };
}

interface PreparedTest {
  readonly suite: GatorSuite;
  readonly test: GatorTest;
  readonly template?: TemplateSpec;
  readonly constraintDoc?: KubeObject;
  readonly expansions: readonly KubeObject[];
  readonly error?: string;
}

/** Reads every suite's templates and constraints; bad files are input errors (exit 2). */
export function prepareGatorTests(suites: readonly GatorSuite[], root: string): { tests: PreparedTest[]; inputErrors: Issue[] } {
  const tests: PreparedTest[] = [];
  const inputErrors: Issue[] = [];
  for (const suite of suites) {
    const dir = path.dirname(suite.file);
    for (const test of suite.tests) {
      if (test.skip) continue;
      try {
        const templatePath = path.resolve(dir, test.template!);
        const [tdoc] = readFixtures(templatePath, root);
        const template = readTemplate(tdoc!.object, path.relative(root, templatePath));
        const [cdoc] = readFixtures(path.resolve(dir, test.constraint!), root);
        const expansions = test.expansion ? readFixtures(path.resolve(dir, test.expansion), root).map((f) => f.object) : [];
        tests.push({ suite, test, template, constraintDoc: cdoc!.object, expansions });
      } catch (error) {
        if (error instanceof FixtureError) inputErrors.push(error.toIssue());
        else if (error instanceof TemplateError)
          inputErrors.push(
            fieldError(path.resolve(root, error.source), root, error.field, error.detail, { code: "invalid_template" }).toIssue(),
          );
        else throw error;
      }
    }
  }
  return { tests, inputErrors };
}

/** A Rego compile problem of a user's template, at its line in the template file. */
export function templateProblemIssue(t: TemplateSpec, p: CompileProblem, root: string): Issue {
  const { field, lib } = moduleOf(t, p.file);
  const pos = p.row ? positionInString(path.resolve(root, t.source), field, p.row, p.col ?? 1) : undefined;
  return {
    code: "invalid_template",
    message: `ConstraintTemplate ${t.name}: ${p.code}: ${p.message}${p.row ? ` (Rego ${lib ? `lib ${lib} ` : ""}line ${p.row})` : ""}`,
    severity: "error",
    ...(pos ? { source: { file: t.source, ...pos } } : { file: t.source }),
    path: field,
  };
}

/** Compiles the suites' templates in one compiler run (each with its own libs) and runs every case. */
export async function runGatorSuites(
  suites: readonly GatorSuite[],
  compiler: RegoCompiler,
  cacheDir: string | undefined,
  root: string,
  select: (id: string) => boolean,
  timeoutMs?: number,
): Promise<{ rows: ResultRow[]; inputErrors: Issue[]; stats: CompileStats }> {
  const { tests, inputErrors } = prepareGatorTests(suites, root);
  const templates = tests
    .map((t) => t.template!)
    .filter((t, i, all) => all.findIndex((u) => u.source === t.source && u.name === t.name) === i);
  const { engine, errors } = await GatekeeperEngine.prepare(templates, compiler, cacheDir);
  for (const e of errors) inputErrors.push(...e.problems.map((p) => templateProblemIssue(e.template, p, root)));
  const failed = new Set(errors.map((e) => e.template));
  const rows: ResultRow[] = [];
  for (const t of tests) {
    if ([...failed].some((f) => f.source === t.template!.source && f.name === t.template!.name)) continue;
    const constraint = readConstraint(t.constraintDoc!);
    const dir = path.dirname(t.suite.file);
    const testName = t.test.name ?? t.template!.name;
    for (const [ci, c] of (t.test.cases ?? []).entries()) {
      const caseName = c.name ?? `case ${ci + 1}`;
      if (c.skip || !select(`${testName}/${caseName}`)) continue;
      const base = {
        policy: testName,
        rule: `${constraint.kind}/${constraint.name}`,
        case: caseName,
        engine: "gatekeeper" as const,
        source: path.relative(root, t.suite.file),
      };
      let messages: string[] = [];
      let resource = c.object ?? "";
      let error: string | undefined;
      try {
        const [obj] = readFixtures(path.resolve(dir, c.object!), root);
        resource = obj!.label;
        const inventory = (c.inventory ?? []).flatMap((f) => readFixtures(path.resolve(dir, f), root).map((x) => x.object));
        const { request, audit } = caseRequest(obj!.object, inventory);
        const reviews: { request: AdmissionRequest; prefix: string }[] = [{ request, prefix: "" }];
        const subject = request.object ?? request.oldObject;
        if (subject) {
          for (const x of expand(subject, t.expansions)) {
            reviews.push({
              request: {
                ...request,
                ...(request.object ? { object: x.object } : {}),
                ...(request.oldObject ? { oldObject: x.object } : {}),
              },
              prefix: `[Implied by ${x.by}] `,
            });
          }
        }
        for (const r of reviews) {
          const result = engine.review(constraint, r.request, { audit, template: t.template!, ...(timeoutMs ? { timeoutMs } : {}) });
          if (result.status === "error") throw new Error(result.error);
          if (result.status === "evaluated") messages.push(...result.violations.map((v) => r.prefix + String(v.msg)));
        }
      } catch (e) {
        if (e instanceof FixtureError) {
          inputErrors.push(e.toIssue());
          continue;
        }
        error = (e as Error).message;
        messages = [];
      }
      for (const a of c.assertions ?? [{}]) {
        const expected = assertionText(a);
        if (error) {
          rows.push({ ...base, resource, expected, actual: "error", status: "error", messages: [], reason: error });
          continue;
        }
        const r = checkAssertion(a, messages);
        rows.push({
          ...base,
          resource,
          expected,
          actual: r.count,
          status: r.error ? "error" : r.ok ? "pass" : "fail",
          messages,
          ...(r.error ? { reason: r.error } : r.ok ? {} : { reason: `${r.count} matching violation(s)` }),
          enforcement: constraint.enforcementAction,
        });
      }
    }
  }
  return { rows, inputErrors, stats: engine.stats };
}
