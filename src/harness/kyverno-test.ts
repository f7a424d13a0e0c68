/**
 * Kyverno CLI test folders (`kyverno-test.yaml`: `apiVersion: cli.kyverno.io/v1alpha1, kind:
 * Test`, or the older layout without them), run unchanged: the file format and how its result
 * rows are checked. Kyverno's semantics live in the `kyverno` engine (ValidatingPolicy,
 * ClusterPolicy validate.cel, autogen, exceptions) and the `kubernetes` engine (VAPs); this file
 * reads `policies`, `resources`, `exceptions`, `variables` (Values: `globalValues`,
 * per-policy/per-resource `request.operation`, `namespaceSelector` labels), `userinfo`,
 * `context` (the objects `resource.Get`/`List` answer from), and `results` rows (`policy`,
 * `rule`, `resources` as `name` or `namespace/name`, `kind`, `result`), following the Kyverno
 * documentation "Kyverno CLI > test". A row matches a ClusterPolicy rule by name, or its
 * `autogen-` / `autogen-cronjob-` rule, as the CLI does; rows for ValidatingPolicies and VAPs
 * take every response of the policy. Stricter than the Kyverno CLI: a row expecting `fail` for a
 * resource no rule applied to fails.
 */
import { reportedMessagesOf, skip, type EngineName, type Verdict } from "../engines/index.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { Issue } from "../ir/index.js";
import {
  GO_YAML_1_1,
  inDefaultNamespace,
  type AdmissionRequest,
  type ExternalData,
  type KubeObject,
  type Operation,
} from "../kube/index.js";
import { composeDocumentEngines, type DocumentEngines, type Runtimes } from "./compose.js";
import { documentProblemIssue, fieldIssue, readFixtures, type Fixture } from "./fixtures.js";
import type { ResultRow, RowCause } from "./report.js";
import type { RowBase } from "./rows.js";

export const KYVERNO_TEST_FILE = "kyverno-test.yaml";

export function isKyvernoTest(file: string, text: string): boolean {
  return path.basename(file) === KYVERNO_TEST_FILE || (/^kind:\s*Test\s*$/m.test(text) && text.includes("cli.kyverno.io/"));
}

interface ResultSpec {
  readonly policy?: string;
  readonly rule?: string;
  readonly resources?: readonly string[];
  readonly resource?: string;
  readonly kind?: string;
  readonly result?: string;
  readonly isValidatingAdmissionPolicy?: boolean;
  readonly isValidatingPolicy?: boolean;
  readonly patchedResources?: string;
  readonly patchedResource?: string;
  readonly generatedResource?: string;
  readonly cloneSourceResource?: string;
}

const get = (o: unknown, ...p: string[]): unknown =>
  p.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);

const RESULTS = ["pass", "fail", "skip", "error", "warn"];

/** The fields policyc reads from a kyverno-test.yaml, checked before anything runs; the first bad one. */
function checkKyvernoTest(test: Record<string, unknown>, file: string, root: string): Issue | undefined {
  const bad = (field: (string | number)[], message: string) => fieldIssue(file, root, field, message);
  for (const key of ["policies", "resources"] as const) {
    if (test[key] === undefined) return bad([key], `${key} is required: a list of file paths`);
    if (!Array.isArray(test[key])) return bad([key], `${key} must be a list of file paths`);
    const i = (test[key] as unknown[]).findIndex((x) => typeof x !== "string");
    if (i >= 0) return bad([key, i], "must be a file path");
  }
  if (
    test.exceptions !== undefined &&
    (!Array.isArray(test.exceptions) || (test.exceptions as unknown[]).some((x) => typeof x !== "string"))
  ) {
    return bad(["exceptions"], "exceptions must be a list of file paths");
  }
  for (const key of ["variables", "userinfo", "context"] as const) {
    if (test[key] !== undefined && typeof test[key] !== "string") return bad([key], `${key} must be a file path`);
  }
  if (test.results === undefined) return undefined;
  if (!Array.isArray(test.results)) return bad(["results"], "results must be a list");
  for (const [i, r] of (test.results as unknown[]).entries()) {
    if (!r || typeof r !== "object" || Array.isArray(r)) return bad(["results", i], "must be a mapping");
    const spec = r as Record<string, unknown>;
    if (typeof spec.policy !== "string" || !spec.policy) return bad(["results", i, "policy"], "policy is required (the policy's name)");
    if (typeof spec.result !== "string" || !RESULTS.includes(spec.result))
      return bad(["results", i, "result"], `result must be one of ${RESULTS.join(", ")}`);
    if (spec.resources !== undefined && (!Array.isArray(spec.resources) || spec.resources.some((x) => typeof x !== "string"))) {
      return bad(["results", i, "resources"], "must be a list of resource names");
    }
    if (spec.resources === undefined && typeof spec.resource !== "string")
      return bad(["results", i], "resources is required (a list of resource names)");
  }
  return undefined;
}

/** The result a verdict gives in a Kyverno report: pass, fail, warn (a deny whose actions are all Warn), skip or error. */
function resultOf(v: Verdict): string {
  switch (v.kind) {
    case "skip":
      return "skip";
    case "error":
      return "error";
    case "allow":
      return "pass";
    case "deny":
      return v.actions.length > 0 && v.actions.every((a) => a === "Warn") ? "warn" : "fail";
  }
}

export async function runKyvernoTests(
  files: readonly string[],
  runtimes: Runtimes,
  root: string,
  select: (id: string) => boolean,
): Promise<{ rows: ResultRow[]; issues: Issue[] }> {
  const rows: ResultRow[] = [];
  const issues: Issue[] = [];
  for (const file of files) {
    const r = await runOne(file, runtimes, root, select);
    rows.push(...r.rows);
    issues.push(...r.issues);
  }
  return { rows, issues };
}

/** A Kyverno test file, read: its policies, resources and the cluster around them. */
interface KyvernoTest {
  readonly file: string;
  readonly shown: string;
  readonly name: string;
  readonly test: Record<string, unknown>;
  readonly policyFixtures: readonly Fixture[];
  readonly resources: readonly KubeObject[];
  readonly values: KubeObject | undefined;
  readonly userInfo: AdmissionRequest["userInfo"] | undefined;
  readonly cluster: NonNullable<AdmissionRequest["cluster"]>;
}

/** Reads the test file and every file it names; bad files are located issues. */
function readKyvernoTest(file: string, root: string): KyvernoTest | { issues: Issue[] } {
  const dir = path.dirname(file);
  const read = readFixtures(file, root, { objects: false });
  if (!read.ok) return { issues: [read.issue] };
  const test = read.value[0]!.object as Record<string, unknown>;
  const invalid = checkKyvernoTest(test, file, root);
  if (invalid) return { issues: [invalid] };
  const issues: Issue[] = [];
  const readAll = (rel: string, objects = true): Fixture[] => {
    const r = readFixtures(path.resolve(dir, rel), root, { objects });
    if (r.ok) return r.value;
    issues.push(r.issue);
    return [];
  };
  const list = (k: string) => ((test[k] as string[] | undefined) ?? []).flatMap((f) => readAll(f));
  const policyFixtures = [...list("policies"), ...list("exceptions")];
  const resources = list("resources").map((f) => inDefaultNamespace(f.object));
  // A Context file (kind: Context, spec.resources): the cluster objects resource.Get/List see.
  const contextDoc = test.context ? readAll(String(test.context), false)[0]?.object : undefined;
  const context = (get(contextDoc, "spec", "resources") as KubeObject[] | undefined) ?? [];
  const external = externalData(contextDoc, path.dirname(path.resolve(dir, String(test.context ?? "."))), issues);
  const values = test.variables ? readAll(String(test.variables), false)[0]?.object : undefined;
  const userinfoDoc = test.userinfo ? readAll(String(test.userinfo), false)[0]?.object : undefined;
  if (issues.length) return { issues };
  const namespaces: Record<string, KubeObject> = {};
  for (const n of (get(values, "namespaceSelector") as { name: string; labels?: Record<string, string> }[] | undefined) ?? []) {
    namespaces[n.name] = { apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels ?? {} } };
  }
  for (const r of resources) if (r.kind === "Namespace" && r.apiVersion === "v1") namespaces[String(r.metadata?.name)] ??= r;
  return {
    file,
    shown: path.relative(root, file) || file,
    name: String(get(test, "metadata", "name") ?? test.name ?? path.basename(dir)),
    test,
    policyFixtures,
    resources,
    values,
    userInfo: (get(userinfoDoc, "userInfo") as AdmissionRequest["userInfo"]) ?? undefined,
    cluster: { namespaces, objects: [...resources, ...context], ...(external ? { external } : {}) },
  };
}

async function runOne(
  file: string,
  runtimes: Runtimes,
  root: string,
  select: (id: string) => boolean,
): Promise<{ rows: ResultRow[]; issues: Issue[] }> {
  const t = readKyvernoTest(file, root);
  if ("issues" in t) return { rows: [], issues: t.issues };
  const { engines, problems } = await composeDocumentEngines(
    [{ id: "", documents: t.policyFixtures.map((f) => f.object) }],
    { runtimes, bindUnbound: true },
    ["kyverno", "kubernetes"],
  );
  if (problems.length) return { rows: [], issues: problems.map((p) => documentProblemIssue(t.policyFixtures, p, root, "invalid_suite")) };
  const rows: ResultRow[] = [];
  ((t.test.results as ResultSpec[] | undefined) ?? []).forEach((spec, i) => {
    if (select(`${t.name}/${String(spec.policy ?? "")}/${String(spec.rule ?? "")}`)) rows.push(...resultRows(t, engines, spec, i));
  });
  if (t.test.checks) rows.push(checksRow(t));
  return { rows, issues: [] };
}

/** The rows of one `results` entry: one per resource it names. */
function resultRows(t: KyvernoTest, engines: DocumentEngines, spec: ResultSpec, i: number): ResultRow[] {
  const policyName = String(spec.policy ?? "");
  const rule = String(spec.rule ?? "");
  const expected = String(spec.result ?? "");
  const names = spec.resources ?? (spec.resource ? [spec.resource] : []);
  const policy = spec.isValidatingAdmissionPolicy
    ? engines.find(policyName, "", "kubernetes")
    : (engines.find(policyName, "", "kubernetes") ?? engines.find(policyName, "", "kyverno"));
  const engine: EngineName = policy?.engine ?? (spec.isValidatingAdmissionPolicy ? "kubernetes" : "kyverno");
  const base = {
    policy: policyName,
    rule,
    case: `results[${i}]`,
    expected,
    source: t.shown,
    engine,
    location: { file: t.shown, ...lineOf(t.file, i) },
  };
  const errorRow = (resource: string, detail: string, code: "unsupported" | "missing_document"): ResultRow => ({
    ...base,
    resource,
    actual: "error",
    status: "error",
    messages: [],
    cause: { kind: "error", code, detail },
  });
  if (spec.patchedResources || spec.patchedResource || spec.generatedResource || spec.cloneSourceResource)
    return [errorRow(names.join(",") || "-", "mutate/generate results are not evaluated by policyc", "unsupported")];
  if (!policy) return [errorRow(names.join(",") || "-", `no policy ${policyName} in ${t.shown}'s policies`, "missing_document")];
  const targets = t.resources.filter(
    (r) =>
      names.some(
        (n) =>
          n === r.metadata?.name || n === `${r.metadata?.namespace ?? ""}/${r.metadata?.name}` || n === `${r.kind}/${r.metadata?.name}`,
      ) &&
      (!spec.kind || spec.kind === r.kind),
  );
  if (targets.length === 0)
    return [
      errorRow(
        names.join(",") || "-",
        `no resource ${names.join(", ")}${spec.kind ? ` of kind ${spec.kind}` : ""} in ${t.shown}'s resources`,
        "missing_document",
      ),
    ];
  return targets.map((r) => {
    const label = `${r.kind}/${r.metadata?.namespace ? r.metadata.namespace + "/" : ""}${r.metadata?.name}`;
    const operation = operationFor(t.values, policyName, r);
    const req: AdmissionRequest = {
      operation,
      ...(operation === "DELETE" ? { oldObject: r } : { object: r }),
      ...(t.userInfo ? { userInfo: t.userInfo } : {}),
      cluster: t.cluster,
    };
    // A row naming a rule reads that ClusterPolicy rule (and its autogen rules); a ValidatingPolicy's rows take the whole policy.
    const byRule = policy.engine === "kyverno" && rule && !spec.isValidatingPolicy;
    let verdict = engines.evaluate(policy, req, byRule ? { rule } : {});
    if (byRule && verdict.kind === "error" && verdict.cause.code === "missing_document")
      return errorRow(label, `no policy ${policyName} with rule ${rule} in ${t.shown}'s policies`, "missing_document");
    if (verdict.kind === "skip" && verdict.cause.code !== "exception")
      verdict = skip(verdict.cause.code, "no rule applies to the resource");
    return judgedRow({ ...base, resource: label }, verdict, expected);
  });
}

/** The request operation of a resource for a policy: the values file's per-resource value, its global one, or CREATE. */
function operationFor(values: KubeObject | undefined, policy: string, resource: KubeObject): Operation {
  const perResource = (
    (get(values, "policies") as { name: string; resources?: { name: string; values?: Record<string, unknown> }[] }[] | undefined) ?? []
  )
    .find((p) => p.name === policy)
    ?.resources?.find((r) => r.name === resource.metadata?.name)?.values?.["request.operation"];
  return String(perResource ?? get(values, "globalValues", "request.operation") ?? "CREATE") as Operation;
}

/** A row judged as the Kyverno CLI judges it: the result the verdict gives against the row's. */
function judgedRow(base: RowBase & { rule: string }, verdict: Verdict, expected: string): ResultRow {
  const actual = resultOf(verdict);
  // A row expecting `error` passes on a CEL evaluation error, as in the Kyverno CLI; never on
  // something policyc could not evaluate (an unsupported construct, a missing document).
  const pass = actual === expected && (verdict.kind !== "error" || verdict.cause.code === "evaluation_error");
  const cause: RowCause | undefined = pass
    ? undefined
    : verdict.kind === "error"
      ? { kind: "error", code: verdict.cause.code, detail: verdict.cause.detail }
      : { kind: "mismatch", detail: verdict.kind === "skip" ? verdict.cause.detail : `expected ${expected}, got ${actual}` };
  return {
    ...base,
    actual,
    status: pass ? "pass" : verdict.kind === "error" ? "error" : "fail",
    messages: reportedMessagesOf(verdict),
    ...(cause ? { cause } : {}),
  };
}

/** Assertion-tree `checks` are not evaluated yet: an error row, never a silent pass. */
function checksRow(t: KyvernoTest): ResultRow {
  return {
    policy: t.name,
    rule: "",
    case: "checks",
    resource: "-",
    engine: "kyverno",
    expected: "checks",
    actual: "error",
    status: "error",
    messages: [],
    cause: { kind: "error", code: "unsupported", detail: "assertion-tree checks are not evaluated by policyc yet" },
    source: t.shown,
  };
}

/**
 * The Context file's data for Kyverno's CEL libraries: `spec.resources` (what `resource.Get` and
 * `resource.List` see; the test's own resources are not among them), `spec.images` (image data by reference),
 * `spec.globalContext` (name, projection, value or valueFile) and `spec.http` (method, url,
 * status, headers, body or bodyFile), the Kyverno CLI's layout. Files are read relative to the
 * Context file, as JSON or YAML.
 */
function externalData(doc: KubeObject | undefined, dir: string, issues: Issue[]): ExternalData | undefined {
  const spec = get(doc, "spec") as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  const fromFile = (file: unknown, inline: unknown): unknown => {
    if (typeof file !== "string" || !file) return inline;
    const abs = path.resolve(dir, file);
    try {
      return parseYaml(readFileSync(abs, "utf8"), GO_YAML_1_1) as unknown;
    } catch (e) {
      issues.push({
        code: "invalid_suite",
        message: `cannot read ${file}: ${(e as Error).message.split("\n")[0]}`,
        severity: "error",
        file: abs,
        path: [],
      });
      return undefined;
    }
  };
  const list = (k: string) => (Array.isArray(spec[k]) ? (spec[k] as Record<string, unknown>[]) : []);
  return {
    resources: list("resources") as KubeObject[],
    images: list("images"),
    globalContext: list("globalContext").map((e) => ({
      name: String(e.name ?? ""),
      ...(e.projection !== undefined ? { projection: String(e.projection) } : {}),
      value: fromFile(e.valueFile, e.value) ?? null,
    })),
    http: list("http").map((e) => ({
      method: String(e.method ?? "GET"),
      url: String(e.url ?? ""),
      ...(typeof e.status === "number" ? { status: e.status } : {}),
      ...(e.headers ? { headers: e.headers as Record<string, string> } : {}),
      body: fromFile(e.bodyFile, e.body) ?? null,
    })),
  };
}

/** The line of results[i] in the test file. */
function lineOf(file: string, i: number): { line: number; column: number } {
  const issue = fieldIssue(file, "", ["results", i], "");
  return issue.source ? { line: issue.source.line, column: issue.source.column } : { line: 1, column: 1 };
}
