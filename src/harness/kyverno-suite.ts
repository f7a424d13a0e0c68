/**
 * Kyverno CLI test folders (`kyverno-test.yaml`: `apiVersion: cli.kyverno.io/v1alpha1, kind:
 * Test`, or the older layout without them), run unchanged on the CEL engine. Follows the Kyverno
 * documentation "Kyverno CLI > test": `policies`, `resources`, `variables` (Values:
 * `globalValues`, per-policy/per-resource values of `request.operation`, `namespaceSelector`
 * labels), `userinfo`, `exceptions`, `context` (objects `resource.Get`/`List` answer from), and `results` rows (`policy`, `rule`, `resources` as `name`
 * or `namespace/name`, `kind`, `result`). Stricter than the Kyverno CLI: a row expecting `fail`
 * for a resource no rule applied to fails; constructs policyc does not evaluate (pattern/deny/
 * foreach rules, mutate, generate, verifyImages, `checks`) give `error` rows naming them.
 */
import path from "node:path";
import { CompiledVap, validatingPolicyAsVap, CelCompileError, type CelRuntime, type CelVerdict } from "../engines/cel/index.js";
import type { AdmissionRequest, KubeObject, Operation } from "../engines/request.js";
import { selectorMatches } from "../engines/reference/index.js";
import type { LabelSelector } from "../ir/index.js";
import { fieldError, FixtureError, readFixtures } from "./fixtures.js";
import type { Issue } from "../ir/index.js";
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

/** One evaluable unit: a VAP (kubernetes), a ValidatingPolicy, or one ClusterPolicy rule (kyverno). */
interface Unit {
  readonly policy: string;
  readonly rule: string;
  readonly engine: EngineName;
  /** Whether a resource is in scope before CEL (ClusterPolicy match/exclude); VAP-like units match in Go. */
  readonly inScope?: (o: KubeObject, req: AdmissionRequest) => boolean;
  readonly evaluate?: (req: AdmissionRequest) => CelVerdict;
  /** Why the unit cannot be evaluated (a construct policyc does not evaluate). */
  readonly unsupported?: string;
  readonly resultKind?: string;
}

const POD_CONTROLLERS: readonly { kind: string; apiVersion: string; prefix: string; path: string }[] = [
  { kind: "Deployment", apiVersion: "apps/v1", prefix: "autogen-", path: "object.spec.template." },
  { kind: "StatefulSet", apiVersion: "apps/v1", prefix: "autogen-", path: "object.spec.template." },
  { kind: "DaemonSet", apiVersion: "apps/v1", prefix: "autogen-", path: "object.spec.template." },
  { kind: "ReplicaSet", apiVersion: "apps/v1", prefix: "autogen-", path: "object.spec.template." },
  { kind: "Job", apiVersion: "batch/v1", prefix: "autogen-", path: "object.spec.template." },
  { kind: "ReplicationController", apiVersion: "v1", prefix: "autogen-", path: "object.spec.template." },
  { kind: "CronJob", apiVersion: "batch/v1", prefix: "autogen-cronjob-", path: "object.spec.jobTemplate.spec.template." },
];

/** Kyverno `kinds` entries: `Kind`, `group/version/Kind`, `version/Kind`, with `*` wildcards. */
function kindMatches(entry: string, o: KubeObject): boolean {
  const parts = entry.split("/");
  const kind = parts.at(-1)!;
  if (!wildcard(kind, o.kind ?? "")) return false;
  if (parts.length === 1) return true;
  const apiVersion = parts.slice(0, -1).join("/");
  return wildcard(apiVersion, o.apiVersion ?? "");
}

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(value);
}

interface ResourceFilter {
  readonly kinds?: readonly string[];
  readonly names?: readonly string[];
  readonly name?: string;
  readonly namespaces?: readonly string[];
  readonly operations?: readonly string[];
  readonly selector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
}

function filterMatches(f: ResourceFilter, o: KubeObject, req: AdmissionRequest): boolean {
  if (f.kinds && !f.kinds.some((k) => kindMatches(k, o))) return false;
  const name = o.metadata?.name ?? "";
  if (f.name && !wildcard(f.name, name)) return false;
  if (f.names && !f.names.some((n) => wildcard(n, name))) return false;
  const ns = o.metadata?.namespace ?? "";
  if (f.namespaces && !f.namespaces.some((n) => wildcard(n, ns))) return false;
  if (f.operations && !f.operations.includes(req.operation)) return false;
  if (f.selector && !selectorMatches(f.selector, o.metadata?.labels ?? {})) return false;
  if (f.namespaceSelector) {
    const labels = {
      ...((req.cluster?.namespaces?.[ns]?.metadata?.labels as Record<string, string> | undefined) ?? {}),
      "kubernetes.io/metadata.name": ns,
    };
    if (!ns || !selectorMatches(f.namespaceSelector, labels)) return false;
  }
  return true;
}

/** Kyverno match/exclude: `any`/`all` of {resources, subjects...}, or the legacy single block. */
function blockMatches(block: unknown, o: KubeObject, req: AdmissionRequest): boolean {
  if (!block || typeof block !== "object") return false;
  const b = block as { any?: unknown[]; all?: unknown[]; resources?: ResourceFilter };
  const one = (x: unknown) => filterMatches(((x as { resources?: ResourceFilter }).resources ?? {}) as ResourceFilter, o, req);
  if (Array.isArray(b.any)) return b.any.some(one);
  if (Array.isArray(b.all)) return b.all.every(one);
  if (b.resources) return filterMatches(b.resources, o, req);
  return false;
}

/** The units of a policy document. Compile problems throw FixtureError (bad input). */
function unitsOf(doc: KubeObject, runtime: CelRuntime, shown: string, bindings: readonly KubeObject[]): Unit[] {
  const name = String(doc.metadata?.name ?? "");
  const qualified = doc.metadata?.namespace ? `${doc.metadata.namespace}/${name}` : name;
  const compile = (policy: KubeObject, b: readonly KubeObject[]) => {
    try {
      return CompiledVap.compile(runtime, policy, b, { kyverno: doc.kind !== "ValidatingAdmissionPolicy" });
    } catch (e) {
      if (e instanceof CelCompileError) throw new FixtureError({ file: shown, message: `${doc.kind} ${e.message}`, code: "invalid_suite" });
      throw e;
    }
  };
  if (doc.kind === "ValidatingAdmissionPolicy") {
    const own = bindings.filter((b) => get(b, "spec", "policyName") === name);
    const vap = compile(
      doc,
      own.length
        ? own
        : [
            {
              apiVersion: "admissionregistration.k8s.io/v1",
              kind: "ValidatingAdmissionPolicyBinding",
              metadata: { name },
              spec: { policyName: name, validationActions: ["Deny"] },
            },
          ],
    );
    return [{ policy: qualified, rule: "", engine: "kubernetes", evaluate: (r) => vap.evaluate(r) }];
  }
  if (doc.kind === "ValidatingPolicy" || doc.kind === "NamespacedValidatingPolicy") {
    const { policy, binding } = validatingPolicyAsVap(doc);
    const vap = compile(policy, [binding]);
    const units: Unit[] = [{ policy: qualified, rule: "", engine: "kyverno", evaluate: (r) => vap.evaluate(r) }];
    const controllers = get(doc, "spec", "autogen", "podControllers", "controllers");
    if (Array.isArray(controllers) && controllers.length) {
      // Autogen: the same validations over each listed controller's pod template.
      for (const c of POD_CONTROLLERS.filter((p) =>
        controllers.map((x) => String(x).toLowerCase()).some((x) => x === p.kind.toLowerCase() || x === `${p.kind.toLowerCase()}s`),
      )) {
        const rewritten = rewriteForController(policy, c);
        const cv = compile(rewritten, [binding]);
        units.push({ policy: qualified, rule: "", engine: "kyverno", resultKind: c.kind, evaluate: (r) => cv.evaluate(r) });
      }
    }
    return units;
  }
  if (doc.kind === "ClusterPolicy" || doc.kind === "Policy") {
    const rules = (get(doc, "spec", "rules") as Record<string, unknown>[] | undefined) ?? [];
    const autogen = doc.metadata?.annotations?.["pod-policies.kyverno.io/autogen-controllers"];
    const units: Unit[] = [];
    for (const rule of rules) {
      const ruleName = String(rule.name ?? "");
      const validate = rule.validate as Record<string, unknown> | undefined;
      const construct = rule.mutate
        ? "mutate"
        : rule.generate
          ? "generate"
          : rule.verifyImages
            ? "verifyImages"
            : !validate
              ? "a rule without validate"
              : !validate.cel
                ? `validate.${Object.keys(validate).find((k) => ["pattern", "anyPattern", "deny", "foreach", "podSecurity", "manifests", "assert"].includes(k)) ?? "?"}`
                : undefined;
      if (construct) {
        units.push({
          policy: qualified,
          rule: ruleName,
          engine: "kyverno",
          unsupported: `rule ${ruleName} uses ${construct}, which policyc does not evaluate (only validate.cel)`,
        });
        continue;
      }
      if (rule.preconditions) {
        units.push({
          policy: qualified,
          rule: ruleName,
          engine: "kyverno",
          unsupported: `rule ${ruleName} uses JMESPath preconditions, which policyc does not evaluate (celPreconditions are)`,
        });
        continue;
      }
      const cel = validate!.cel as Record<string, unknown>;
      const exprs = (cel.expressions as Record<string, unknown>[] | undefined) ?? [];
      const base = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name: `${name}-${ruleName}` },
        spec: {
          ...(cel.variables ? { variables: cel.variables } : {}),
          ...(rule.celPreconditions ? { matchConditions: rule.celPreconditions } : {}),
          ...(cel.auditAnnotations ? { auditAnnotations: cel.auditAnnotations } : {}),
          validations: exprs.map((e) => ({
            ...e,
            ...(typeof validate!.message === "string" && !e.message && !e.messageExpression ? { message: validate!.message } : {}),
          })),
        },
      };
      const action = String(validate!.failureAction ?? get(doc, "spec", "validationFailureAction") ?? "Audit");
      const binding = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: { name: `${name}-${ruleName}` },
        spec: { policyName: `${name}-${ruleName}`, validationActions: [/^enforce$/i.test(action) ? "Deny" : "Audit"] },
      };
      const vap = compile(base as KubeObject, [binding]);
      const inScope = (o: KubeObject, req: AdmissionRequest) =>
        blockMatches(rule.match, o, req) && !(rule.exclude && blockMatches(rule.exclude, o, req));
      units.push({ policy: qualified, rule: ruleName, engine: "kyverno", inScope, evaluate: (r) => vap.evaluate(r) });
      // Autogen (Kyverno documentation "Auto-Gen Rules for Pod Controllers"): a rule matching Pods
      // gets autogen-<rule> for Pod controllers and autogen-cronjob-<rule> for CronJobs.
      const matchesPodsOnly = JSON.stringify(rule.match ?? {}).includes('"Pod"') && autogen !== "none";
      if (matchesPodsOnly) {
        const allowed = autogen ? autogen.split(",").map((s) => s.trim()) : POD_CONTROLLERS.map((c) => c.kind);
        for (const c of POD_CONTROLLERS.filter((x) => allowed.includes(x.kind))) {
          const rv = compile(rewriteForController(base as KubeObject, c), [binding]);
          const ctrlScope = (o: KubeObject, req: AdmissionRequest) =>
            o.kind === c.kind && inScope({ ...o, kind: "Pod", apiVersion: "v1" }, req);
          units.push({
            policy: qualified,
            rule: `${c.prefix}${ruleName}`,
            engine: "kyverno",
            inScope: ctrlScope,
            evaluate: (r) => rv.evaluate(r),
          });
        }
      }
    }
    return units;
  }
  return [{ policy: qualified, rule: "", engine: "kyverno", unsupported: `${doc.kind} documents are not evaluated by policyc` }];
}

/** A VAP-shaped policy's expressions read through a controller's pod template (autogen). */
function rewriteForController(policy: KubeObject, c: { path: string }): KubeObject {
  const text = JSON.stringify(policy).replace(/\bobject\.(?!spec\.template\.)/g, c.path);
  const out = JSON.parse(text) as KubeObject & { spec: Record<string, unknown> };
  delete out.spec.matchConstraints;
  return out;
}

function verdictResult(v: CelVerdict): { result: string; messages: readonly string[]; reason?: string } {
  switch (v.verdict) {
    case "none":
      return { result: "skip", messages: [], reason: v.reason };
    case "error":
      return { result: "error", messages: [], reason: v.reason };
    case "allow":
      return { result: "pass", messages: [] };
    case "deny":
      return { result: v.actions.length > 0 && v.actions.every((a) => a === "Warn") ? "warn" : "fail", messages: v.messages };
  }
}

export async function runKyvernoTests(
  files: readonly string[],
  runtime: CelRuntime,
  root: string,
  select: (id: string) => boolean,
): Promise<{ rows: ResultRow[]; inputErrors: Issue[] }> {
  const rows: ResultRow[] = [];
  const inputErrors: Issue[] = [];
  for (const file of files) {
    const shown = path.relative(root, file) || file;
    try {
      rows.push(...runOne(file, shown, runtime, root, select));
    } catch (e) {
      if (e instanceof FixtureError) inputErrors.push(e.toIssue());
      else throw e;
    }
  }
  return { rows, inputErrors };
}

const RESULTS = ["pass", "fail", "skip", "error", "warn"];

/** The fields policyc reads from a kyverno-test.yaml, checked before anything runs. */
function checkKyvernoTest(test: Record<string, unknown>, file: string, root: string): void {
  const bad = (field: (string | number)[], message: string) => fieldError(file, root, field, message);
  for (const key of ["policies", "resources"] as const) {
    if (test[key] === undefined) throw bad([key], `${key} is required: a list of file paths`);
    if (!Array.isArray(test[key])) throw bad([key], `${key} must be a list of file paths`);
    (test[key] as unknown[]).forEach((x, i) => {
      if (typeof x !== "string") throw bad([key, i], "must be a file path");
    });
  }
  for (const key of ["exceptions"] as const) {
    if (test[key] !== undefined && (!Array.isArray(test[key]) || (test[key] as unknown[]).some((x) => typeof x !== "string")))
      throw bad([key], `${key} must be a list of file paths`);
  }
  for (const key of ["variables", "userinfo", "context"] as const) {
    if (test[key] !== undefined && typeof test[key] !== "string") throw bad([key], `${key} must be a file path`);
  }
  if (test.results === undefined) return;
  if (!Array.isArray(test.results)) throw bad(["results"], "results must be a list");
  test.results.forEach((r: unknown, i) => {
    if (!r || typeof r !== "object" || Array.isArray(r)) throw bad(["results", i], "must be a mapping");
    const spec = r as Record<string, unknown>;
    if (typeof spec.policy !== "string" || !spec.policy) throw bad(["results", i, "policy"], "policy is required (the policy's name)");
    if (typeof spec.result !== "string" || !RESULTS.includes(spec.result))
      throw bad(["results", i, "result"], `result must be one of ${RESULTS.join(", ")}`);
    if (spec.resources !== undefined && (!Array.isArray(spec.resources) || spec.resources.some((x) => typeof x !== "string")))
      throw bad(["results", i, "resources"], "must be a list of resource names");
    if (spec.resources === undefined && typeof spec.resource !== "string")
      throw bad(["results", i], "resources is required (a list of resource names)");
  });
}

function runOne(file: string, shown: string, runtime: CelRuntime, root: string, select: (id: string) => boolean): ResultRow[] {
  const dir = path.dirname(file);
  const [doc] = readFixtures(file, root, { objects: false });
  const test = doc!.object as Record<string, unknown>;
  checkKyvernoTest(test, file, root);
  const list = (k: string) =>
    ((test[k] as string[] | undefined) ?? []).flatMap((f) => readFixtures(path.resolve(dir, f), root).map((x) => x.object));
  const policyDocs = list("policies");
  const resources = list("resources");
  const exceptions = list("exceptions");
  // A Context file (kind: Context, spec.resources): the cluster objects resource.Get/List see.
  const context = test.context
    ? readFixtures(path.resolve(dir, String(test.context)), root, { objects: false }).flatMap(
        (f) => (get(f.object, "spec", "resources") as KubeObject[] | undefined) ?? [],
      )
    : [];
  const values = test.variables ? readFixtures(path.resolve(dir, String(test.variables)), root, { objects: false })[0]!.object : undefined;
  const userinfoDoc = test.userinfo
    ? readFixtures(path.resolve(dir, String(test.userinfo)), root, { objects: false })[0]!.object
    : undefined;
  const userInfo = (get(userinfoDoc, "userInfo") as AdmissionRequest["userInfo"]) ?? undefined;
  const namespaces: Record<string, KubeObject> = {};
  for (const n of (get(values, "namespaceSelector") as { name: string; labels?: Record<string, string> }[] | undefined) ?? []) {
    namespaces[n.name] = { apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels ?? {} } };
  }
  for (const r of resources) if (r.kind === "Namespace" && r.apiVersion === "v1") namespaces[String(r.metadata?.name)] ??= r;
  const bindings = policyDocs.filter((d) => d.kind === "ValidatingAdmissionPolicyBinding");
  const units = policyDocs
    .filter((d) => d.kind !== "ValidatingAdmissionPolicyBinding")
    .flatMap((d) => unitsOf(d, runtime, shown, bindings));
  const testName = String(get(test, "metadata", "name") ?? test.name ?? path.basename(dir));

  const operationFor = (policy: string, resource: KubeObject): Operation => {
    const perResource = (
      (get(values, "policies") as { name: string; resources?: { name: string; values?: Record<string, unknown> }[] }[] | undefined) ?? []
    )
      .find((p) => p.name === policy)
      ?.resources?.find((r) => r.name === resource.metadata?.name)?.values?.["request.operation"];
    return String(perResource ?? get(values, "globalValues", "request.operation") ?? "CREATE") as Operation;
  };

  // Each exception's matchConditions compiled once (a probe policy denying exactly when they hold).
  const probes = new Map<KubeObject, CompiledVap>();
  const probeOf = (ex: KubeObject, conditions: unknown[]) => {
    let probe = probes.get(ex);
    if (!probe) {
      const name = `exception-${ex.metadata?.name}`;
      probe = CompiledVap.compile(
        runtime,
        {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicy",
          metadata: { name },
          spec: { matchConditions: conditions, validations: [{ expression: "false" }] },
        },
        [
          {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingAdmissionPolicyBinding",
            metadata: { name },
            spec: { policyName: name, validationActions: ["Deny"] },
          },
        ],
      );
      probes.set(ex, probe);
    }
    return probe;
  };
  const exceptionApplies = (policy: string, req: AdmissionRequest): string | undefined => {
    for (const ex of exceptions) {
      const refs = (get(ex, "spec", "policyRefs") as { name?: string }[] | undefined) ?? [];
      if (!refs.some((r) => r.name === policy)) continue;
      const conditions = get(ex, "spec", "matchConditions") as unknown[] | undefined;
      if (!conditions?.length) return String(ex.metadata?.name);
      if (probeOf(ex, conditions).evaluate(req).verdict === "deny") return String(ex.metadata?.name);
    }
    return undefined;
  };

  const out: ResultRow[] = [];
  const specs = (test.results as ResultSpec[] | undefined) ?? [];
  specs.forEach((spec, i) => {
    const policy = String(spec.policy ?? "");
    const rule = String(spec.rule ?? "");
    const expected = String(spec.result ?? "");
    const names = spec.resources ?? (spec.resource ? [spec.resource] : []);
    const caseName = `results[${i}]`;
    if (!select(`${testName}/${policy}/${rule}`)) return;
    const base = { policy, rule, case: caseName, expected, source: shown };
    const engine: EngineName = spec.isValidatingAdmissionPolicy ? "kubernetes" : "kyverno";
    const row = (
      resource: string,
      actual: string,
      status: ResultRow["status"],
      messages: readonly string[],
      reason?: string,
    ): ResultRow => ({ ...base, resource, engine, actual, status, messages, ...(reason ? { reason } : {}) });
    if (spec.patchedResources || spec.patchedResource || spec.generatedResource || spec.cloneSourceResource) {
      out.push(row(names.join(",") || "-", "error", "error", [], "mutate/generate results are not evaluated by policyc"));
      return;
    }
    const candidates = units.filter((u) => u.policy === policy && (u.rule === rule || (!rule && u.rule === "")));
    const targets = resources.filter(
      (r) =>
        names.some(
          (n) =>
            n === r.metadata?.name || n === `${r.metadata?.namespace ?? ""}/${r.metadata?.name}` || n === `${r.kind}/${r.metadata?.name}`,
        ) &&
        (!spec.kind || spec.kind === r.kind),
    );
    if (candidates.length === 0) {
      out.push(
        row(names.join(",") || "-", "error", "error", [], `no policy ${policy}${rule ? ` with rule ${rule}` : ""} in ${shown}'s policies`),
      );
      return;
    }
    if (targets.length === 0) {
      out.push(
        row(
          names.join(",") || "-",
          "error",
          "error",
          [],
          `no resource ${names.join(", ")}${spec.kind ? ` of kind ${spec.kind}` : ""} in ${shown}'s resources`,
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
        cluster: { namespaces, objects: [...resources, ...context] },
      };
      const applicable = candidates.filter((u) => !u.resultKind || u.resultKind === r.kind);
      const unsupported = applicable.find((u) => u.unsupported);
      if (unsupported) {
        out.push(row(label, "error", "error", [], unsupported.unsupported));
        continue;
      }
      let result = { result: "skip", messages: [] as readonly string[], reason: "no rule applies to the resource" as string | undefined };
      const exception = exceptionApplies(policy, req);
      if (exception) result = { result: "skip", messages: [], reason: `PolicyException ${exception} applies` };
      else
        for (const u of applicable) {
          if (u.inScope && !u.inScope(r, req)) continue;
          const v = verdictResult(u.evaluate!(req));
          if (v.result === "skip" && result.result === "skip") continue;
          result = { result: v.result, messages: v.messages, reason: v.reason };
          if (v.result !== "skip") break;
        }
      const pass = result.result === expected;
      out.push(
        row(
          label,
          result.result,
          result.result === "error" ? "error" : pass ? "pass" : "fail",
          result.messages,
          pass ? undefined : (result.reason ?? `expected ${expected}, got ${result.result}`),
        ),
      );
    }
  });
  if (test.checks)
    out.push({
      policy: testName,
      rule: "",
      case: "checks",
      resource: "-",
      engine: "kyverno",
      expected: "checks",
      actual: "error",
      status: "error",
      messages: [],
      reason: "assertion-tree checks are not evaluated by policyc yet",
      source: shown,
    });
  return out;
}
