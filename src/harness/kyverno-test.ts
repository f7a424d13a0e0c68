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
import {
  KubernetesEngine,
  KyvernoEngine,
  reportedMessagesOf,
  skip,
  type CelRuntime,
  type KyvernoRuleResult,
  type Verdict,
} from "../engines/index.js";
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
import { documentProblemIssue, fieldIssue, readFixtures, type Fixture } from "./fixtures.js";
import type { EngineName, ResultRow } from "./report.js";

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
  runtime: CelRuntime,
  root: string,
  select: (id: string) => boolean,
): Promise<{ rows: ResultRow[]; issues: Issue[] }> {
  const rows: ResultRow[] = [];
  const issues: Issue[] = [];
  for (const file of files) {
    const r = runOne(file, runtime, root, select);
    rows.push(...r.rows);
    issues.push(...r.issues);
  }
  return { rows, issues };
}

function runOne(file: string, runtime: CelRuntime, root: string, select: (id: string) => boolean): { rows: ResultRow[]; issues: Issue[] } {
  const shown = path.relative(root, file) || file;
  const dir = path.dirname(file);
  const none = (issue: Issue) => ({ rows: [], issues: [issue] });
  const read = readFixtures(file, root, { objects: false });
  if (!read.ok) return none(read.issue);
  const test = read.value[0]!.object as Record<string, unknown>;
  const invalid = checkKyvernoTest(test, file, root);
  if (invalid) return none(invalid);
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
  if (issues.length) return { rows: [], issues };
  const userInfo = (get(userinfoDoc, "userInfo") as AdmissionRequest["userInfo"]) ?? undefined;
  const namespaces: Record<string, KubeObject> = {};
  for (const n of (get(values, "namespaceSelector") as { name: string; labels?: Record<string, string> }[] | undefined) ?? []) {
    namespaces[n.name] = { apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels ?? {} } };
  }
  for (const r of resources) if (r.kind === "Namespace" && r.apiVersion === "v1") namespaces[String(r.metadata?.name)] ??= r;

  const documents = policyFixtures.map((f) => f.object);
  const kyverno = KyvernoEngine.prepare(documents, { runtime });
  const vaps = KubernetesEngine.prepare(documents, { runtime, bindUnbound: true });
  const problems = [...kyverno.problems, ...vaps.problems].map((p) => documentProblemIssue(policyFixtures, p, root, "invalid_suite"));
  if (problems.length) return { rows: [], issues: problems };
  const isVap = new Set(documents.filter((d) => d.kind === "ValidatingAdmissionPolicy").map((d) => String(d.metadata?.name ?? "")));
  const testName = String(get(test, "metadata", "name") ?? test.name ?? path.basename(dir));

  const operationFor = (policy: string, resource: KubeObject): Operation => {
    const perResource = (
      (get(values, "policies") as { name: string; resources?: { name: string; values?: Record<string, unknown> }[] }[] | undefined) ?? []
    )
      .find((p) => p.name === policy)
      ?.resources?.find((r) => r.name === resource.metadata?.name)?.values?.["request.operation"];
    return String(perResource ?? get(values, "globalValues", "request.operation") ?? "CREATE") as Operation;
  };

  const rows: ResultRow[] = [];
  const specs = (test.results as ResultSpec[] | undefined) ?? [];
  specs.forEach((spec, i) => {
    const policy = String(spec.policy ?? "");
    const rule = String(spec.rule ?? "");
    const expected = String(spec.result ?? "");
    const names = spec.resources ?? (spec.resource ? [spec.resource] : []);
    if (!select(`${testName}/${policy}/${rule}`)) return;
    const engine: EngineName = spec.isValidatingAdmissionPolicy || isVap.has(policy) ? "kubernetes" : "kyverno";
    const base = { policy, rule, case: `results[${i}]`, expected, source: shown, engine, location: { file: shown, ...lineOf(file, i) } };
    const errorRow = (resource: string, detail: string, code: "unsupported" | "missing_document"): ResultRow => ({
      ...base,
      resource,
      actual: "error",
      status: "error",
      messages: [],
      cause: { kind: "error", code, detail },
    });
    if (spec.patchedResources || spec.patchedResource || spec.generatedResource || spec.cloneSourceResource) {
      rows.push(errorRow(names.join(",") || "-", "mutate/generate results are not evaluated by policyc", "unsupported"));
      return;
    }
    if (engine === "kyverno" && !kyverno.engine.has(policy)) {
      rows.push(errorRow(names.join(",") || "-", `no policy ${policy} in ${shown}'s policies`, "missing_document"));
      return;
    }
    const targets = resources.filter(
      (r) =>
        names.some(
          (n) =>
            n === r.metadata?.name || n === `${r.metadata?.namespace ?? ""}/${r.metadata?.name}` || n === `${r.kind}/${r.metadata?.name}`,
        ) &&
        (!spec.kind || spec.kind === r.kind),
    );
    if (targets.length === 0) {
      rows.push(
        errorRow(
          names.join(",") || "-",
          `no resource ${names.join(", ")}${spec.kind ? ` of kind ${spec.kind}` : ""} in ${shown}'s resources`,
          "missing_document",
        ),
      );
      return;
    }
    for (const r of targets) {
      const label = `${r.kind}/${r.metadata?.namespace ? r.metadata.namespace + "/" : ""}${r.metadata?.name}`;
      const operation = operationFor(policy, r);
      const req: AdmissionRequest = {
        operation,
        ...(operation === "DELETE" ? { oldObject: r } : { object: r }),
        ...(userInfo ? { userInfo } : {}),
        cluster: { namespaces, objects: [...resources, ...context], ...(external ? { external } : {}) },
      };
      let verdict: Verdict;
      if (engine === "kubernetes") verdict = vaps.engine.evaluate(policy, req);
      else {
        const result = kyverno.engine.evaluate(policy, req);
        const responses = spec.isValidatingPolicy || !rule ? result.rules : result.rules.filter((x) => ruleMatches(x, rule));
        if (rule && responses.length === 0) {
          rows.push(errorRow(label, `no policy ${policy} with rule ${rule} in ${shown}'s policies`, "missing_document"));
          continue;
        }
        verdict =
          responses.map((x) => x.verdict).find((v) => v.kind !== "skip") ??
          responses[0]?.verdict ??
          skip("not_matched", "no rule applies to the resource");
      }
      if (verdict.kind === "skip" && verdict.cause.code !== "exception")
        verdict = skip(verdict.cause.code, "no rule applies to the resource");
      const actual = resultOf(verdict);
      // A row expecting `error` passes on a CEL evaluation error, as in the Kyverno CLI; never on
      // something policyc could not evaluate (an unsupported construct, a missing document).
      const pass = actual === expected && (verdict.kind !== "error" || verdict.cause.code === "evaluation_error");
      rows.push({
        ...base,
        resource: label,
        actual,
        status: pass ? "pass" : verdict.kind === "error" ? "error" : "fail",
        messages: reportedMessagesOf(verdict),
        ...(verdict.kind === "error" && !pass
          ? { cause: { kind: "error", code: verdict.cause.code, detail: verdict.cause.detail } as const }
          : pass
            ? {}
            : {
                cause: {
                  kind: "mismatch",
                  detail: verdict.kind === "skip" ? verdict.cause.detail : `expected ${expected}, got ${actual}`,
                } as const,
              }),
      });
    }
  });
  if (test.checks) {
    rows.push({
      policy: testName,
      rule: "",
      case: "checks",
      resource: "-",
      engine: "kyverno",
      expected: "checks",
      actual: "error",
      status: "error",
      messages: [],
      cause: { kind: "error", code: "unsupported", detail: "assertion-tree checks are not evaluated by policyc yet" },
      source: shown,
    });
  }
  return { rows, issues: [] };
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

/** A row's rule names a ClusterPolicy rule, or the autogen rules Kyverno makes from it (as the CLI's lookup does). */
function ruleMatches(result: KyvernoRuleResult, rule: string): boolean {
  return result.rule === rule || result.rule === `autogen-${rule}` || result.rule === `autogen-cronjob-${rule}`;
}

/** The line of results[i] in the test file. */
function lineOf(file: string, i: number): { line: number; column: number } {
  const issue = fieldIssue(file, "", ["results", i], "");
  return issue.source ? { line: issue.source.line, column: issue.source.column } : { line: 1, column: 1 };
}
