/**
 * `gator verify` suites (test.gatekeeper.sh/v1alpha1 Suite), run unchanged: the file format and
 * its assertions. Each test's template, constraint and optional ExpansionTemplates become one
 * document set of the gatekeeper engine; each case's object (a resource, or a full
 * AdmissionReview) and inventory become a request. Follows the Gatekeeper documentation "gator
 * CLI" (verify): `violations` is `yes` (at least one), `no` (none) or a count; `message` is an
 * unanchored regular expression (RE2) that the counted violations' messages must match.
 */
import { messagesOf, type GatekeeperDocuments, type SetProblem, type Verdict } from "../engines/index.js";
import path from "node:path";
import { RE2JS } from "re2js";
import type { Issue } from "../ir/index.js";
import type { AdmissionRequest, KubeObject, Operation } from "../kube/index.js";
import { fieldIssue, positionInString, readFixtures, type Fixture } from "./fixtures.js";
import { composeDocumentEngines, type DocumentEngines, type Runtimes } from "./compose.js";
import type { ResultRow } from "./report.js";
import { verdictRow, type RowBase } from "./rows.js";
import { unreadField, type FieldTable } from "./suite-fields.js";

export const GATOR_SUITE_API = "test.gatekeeper.sh/v1alpha1";

/**
 * gator's Suite, field by field (Gatekeeper's pkg/gator/verify: Suite, Test, Case, Assertion):
 * each field read or refused by name; `expansion` (a test's ExpansionTemplates) is policyc's.
 */
export const GATOR_SUITE: FieldTable = {
  apiVersion: true,
  kind: true,
  metadata: "free",
  skip: true,
  tests: {
    list: {
      name: true,
      template: true,
      constraint: true,
      expansion: true,
      skip: true,
      invalid: {
        refused:
          "invalid: true expects the constraint to fail its template's parameter schema; policyc does not check constraints against it",
      },
      cases: {
        list: {
          name: true,
          object: true,
          inventory: true,
          skip: true,
          assertions: { list: { violations: true, message: true } },
        },
      },
    },
  },
};

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

/** Reads a suite file and checks the fields policyc reads; the first bad field is a located issue. */
export function readGatorSuite(file: string, root: string): { ok: true; suite: GatorSuite } | { ok: false; issue: Issue } {
  const read = readFixtures(file, root, { objects: false });
  if (!read.ok) return read;
  const bad = (field: (string | number)[], message: string) => ({ ok: false as const, issue: fieldIssue(file, root, field, message) });
  const doc = read.value[0]!.object;
  const unread = unreadField(doc, GATOR_SUITE, { file, root, what: "gator's Suite" });
  if (unread) return { ok: false, issue: unread };
  const tests = (doc as { tests?: unknown }).tests;
  if (!Array.isArray(tests)) return bad(["tests"], "a gator Suite needs a tests list");
  // A suite marked skip runs none of its tests, as gator verify skips it.
  if ((doc as { skip?: unknown }).skip === true)
    return { ok: true, suite: { file, name: String(doc.metadata?.name ?? path.basename(file)), tests: [] } };
  for (const [i, t] of tests.entries()) {
    if (!t || typeof t !== "object" || Array.isArray(t)) return bad(["tests", i], "must be a mapping");
    const test = t as Record<string, unknown>;
    if (test.skip === true) continue;
    for (const key of ["template", "constraint"]) {
      if (typeof test[key] !== "string" || !test[key])
        return bad(["tests", i, key], `test ${JSON.stringify(String(test.name ?? ""))}: ${key} is required (a file path)`);
    }
    if (test.cases !== undefined && !Array.isArray(test.cases)) return bad(["tests", i, "cases"], "must be a list");
    for (const [j, c] of ((test.cases as unknown[] | undefined) ?? []).entries()) {
      const where = ["tests", i, "cases", j];
      if (!c || typeof c !== "object" || Array.isArray(c)) return bad(where, "must be a mapping");
      const kase = c as Record<string, unknown>;
      if (kase.skip === true) continue;
      if (typeof kase.object !== "string" || !kase.object)
        return bad([...where, "object"], `case ${JSON.stringify(String(kase.name ?? ""))}: object is required (a file path)`);
      if (kase.assertions !== undefined && !Array.isArray(kase.assertions)) return bad([...where, "assertions"], "must be a list");
      if (kase.inventory !== undefined && (!Array.isArray(kase.inventory) || kase.inventory.some((x) => typeof x !== "string"))) {
        return bad([...where, "inventory"], "must be a list of file paths");
      }
    }
  }
  return { ok: true, suite: { file, name: String(doc.metadata?.name ?? path.basename(file)), tests: tests as GatorTest[] } };
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

/** One gator test, read: its document set and the files its documents came from. */
interface PreparedTest {
  readonly suite: GatorSuite;
  readonly test: GatorTest;
  readonly set: GatekeeperDocuments;
  /** The file each of the set's documents came from (by index). */
  readonly files: readonly string[];
  readonly constraint: string;
}

/** Reads every suite's templates, constraints and expansions; bad files are located issues (exit 2). */
function prepareGatorTests(suites: readonly GatorSuite[], root: string): { tests: PreparedTest[]; issues: Issue[] } {
  const tests: PreparedTest[] = [];
  const issues: Issue[] = [];
  for (const suite of suites) {
    const dir = path.dirname(suite.file);
    suite.tests.forEach((test, ti) => {
      if (test.skip) return;
      const documents: KubeObject[] = [];
      const files: string[] = [];
      const add = (rel: string): Fixture[] | undefined => {
        const file = path.resolve(dir, rel);
        const r = readFixtures(file, root);
        if (!r.ok) {
          issues.push(r.issue);
          return undefined;
        }
        for (const f of r.value) {
          documents.push(f.object);
          files.push(file);
        }
        return r.value;
      };
      const template = add(test.template!);
      const constraint = add(test.constraint!);
      if (test.expansion) add(test.expansion);
      if (!template || !constraint) return;
      tests.push({
        suite,
        test,
        set: { id: `${suite.file}#${ti}`, documents },
        files,
        constraint: String(constraint[0]!.object.metadata?.name ?? ""),
      });
    });
  }
  return { tests, issues };
}

/** The located issues of templates that do not compile (the Rego line inside the YAML); the sets they break. */
function templateIssues(
  tests: readonly PreparedTest[],
  problems: readonly SetProblem[],
  root: string,
): { issues: Issue[]; broken: Set<string> } {
  const issues: Issue[] = [];
  const broken = new Set<string>();
  for (const p of problems) {
    const t = tests.find((x) => x.set.id === p.set)!;
    broken.add(p.set);
    const file = t.files[p.document]!;
    const docIndex = t.files.slice(0, p.document).filter((f) => f === file).length;
    const at = p.position ? positionInString(file, p.field, p.position.row, p.position.col, docIndex) : undefined;
    const message = p.position ? `${p.message} (Rego line ${p.position.row})` : p.message;
    const located = fieldIssue(file, root, p.field, message, { code: "invalid_template", doc: docIndex });
    issues.push(at ? { ...located, source: at } : located);
  }
  return { issues, broken };
}

/** Compiles the suites' templates in one compiler run (each test's set apart) and runs every case. */
export async function runGatorSuites(
  suites: readonly GatorSuite[],
  runtimes: Runtimes,
  root: string,
  select: (id: string) => boolean,
  timeoutMs?: number,
): Promise<{ rows: ResultRow[]; issues: Issue[]; stats: { compiled: number; cached: number } }> {
  const { tests, issues } = prepareGatorTests(suites, root);
  const { engines, problems } = await composeDocumentEngines(
    tests.map((t) => t.set),
    { runtimes },
    ["gatekeeper"],
  );
  const located = templateIssues(tests, problems, root);
  issues.push(...located.issues);
  const rows: ResultRow[] = [];
  for (const t of tests) {
    if (located.broken.has(t.set.id)) continue;
    rows.push(...runTest(t, engines, root, select, issues, timeoutMs));
  }
  return { rows, issues, stats: engines.stats ?? { compiled: 0, cached: 0 } };
}

/** The rows of one gator test: each selected case's assertions. */
function runTest(
  t: PreparedTest,
  engines: DocumentEngines,
  root: string,
  select: (id: string) => boolean,
  issues: Issue[],
  timeoutMs: number | undefined,
): ResultRow[] {
  const rows: ResultRow[] = [];
  const dir = path.dirname(t.suite.file);
  const testName = t.test.name ?? String(t.set.documents[0]?.metadata?.name ?? "");
  const constraintDoc = t.set.documents.find(
    (d) => d.metadata?.name === t.constraint && d.apiVersion?.startsWith("constraints.gatekeeper.sh/"),
  );
  const rule = `${constraintDoc?.kind ?? ""}/${t.constraint}`;
  const enforcement = String((constraintDoc as { spec?: { enforcementAction?: unknown } } | undefined)?.spec?.enforcementAction ?? "deny");
  const policy = engines.find(t.constraint, t.set.id, "gatekeeper") ?? {
    engine: "gatekeeper",
    name: t.constraint,
    set: t.set.id,
    document: -1,
  };
  for (const [ci, c] of (t.test.cases ?? []).entries()) {
    const caseName = c.name ?? `case ${ci + 1}`;
    if (c.skip || !select(`${testName}/${caseName}`)) continue;
    const object = readFixtures(path.resolve(dir, c.object!), root);
    if (!object.ok) {
      issues.push(object.issue);
      continue;
    }
    const inventory: KubeObject[] = [];
    for (const f of c.inventory ?? []) {
      const r = readFixtures(path.resolve(dir, f), root);
      if (r.ok) inventory.push(...r.value.map((x) => x.object));
      else issues.push(r.issue);
    }
    const fixture = object.value[0]!;
    const { request, audit } = caseRequest(fixture.object, inventory);
    const started = performance.now();
    // gator stands for its own enforcement point: a constraint scoped to others is not enforced here.
    const verdict = engines.evaluate(policy, request, {
      audit,
      enforcementPoint: "gator.gatekeeper.sh",
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    const durationMs = performance.now() - started;
    const base = {
      policy: testName,
      case: caseName,
      engine: "gatekeeper" as const,
      source: path.relative(root, t.suite.file),
      resource: fixture.label,
      durationMs,
      ...(fixture.location ? { resourceLocation: fixture.location } : {}),
    };
    for (const a of c.assertions ?? [{}]) rows.push(assertionRow({ ...base, expected: assertionText(a) }, a, verdict, rule, enforcement));
  }
  return rows;
}

/** One assertion's row: the count of matching violations, pass or fail. */
function assertionRow(base: RowBase, a: Assertion, verdict: Verdict, rule: string, enforcement: string): ResultRow {
  if (verdict.kind === "error") return verdictRow(base, verdict, { status: "error", rule, messages: [] });
  const messages = messagesOf(verdict);
  const r = checkAssertion(a, messages);
  return verdictRow(base, verdict, {
    rule,
    actual: r.count,
    status: r.error ? "error" : r.ok ? "pass" : "fail",
    messages,
    enforcement,
    ...(r.error
      ? { cause: { kind: "error", code: "unsupported", detail: r.error } as const }
      : r.ok
        ? {}
        : { cause: { kind: "mismatch", detail: `${r.count} matching violation(s)` } as const }),
  });
}
