/**
 * `policyc apply`: Kubernetes manifests (files, folders, standard input; multi-document files and
 * `kind: List`) evaluated against policies before a cluster sees them, on the real engines. The
 * policies are the repository's TypeScript policies and/or existing YAML policies (Kyverno
 * ValidatingPolicy and ClusterPolicy `validate.cel`, ValidatingAdmissionPolicy with its binding,
 * Gatekeeper ConstraintTemplate with its Constraint). Each resource is an admission CREATE, or in
 * audit mode what Kyverno's and Gatekeeper's background scans see.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import {
  CelRuntime,
  EngineMissingError,
  GatekeeperEngine,
  KubernetesEngine,
  KyvernoEngine,
  POLICY_KINDS,
  qualifiedName,
  reportedMessagesOf,
  skip,
  type DocumentProblem,
  type Verdict,
} from "../engines/index.js";
import type { CompiledPolicy } from "../build/index.js";
import { instanceName, isAdmissionOnly, type Issue, type SourceLocation } from "../ir/index.js";
import { findPolicyFiles } from "../load/index.js";
import { inDefaultNamespace, isNamespaced, type AdmissionRequest, type KubeObject, type UserInfo } from "../kube/index.js";
import {
  documentProblemIssue,
  fieldIssue,
  fieldLocation,
  inputIssue,
  readFixtures,
  readFixtureText,
  uniqueIssues,
  yamlFilesUnder,
  type Fixture,
} from "./fixtures.js";
import { preparePolicycEngines, type EngineAnswer } from "./policyc-engines.js";
import { ENGINE_NAMES, summarize, type EngineName, type PolicyInfo, type Report, type ResultRow, type RowStatus } from "./report.js";
import { buildInMemory, defaultWasmCache, DEFAULT_TIMEOUT_MS, regoCompiler } from "./run.js";

export type ApplyMode = "admission" | "audit";
/** Actions that make `apply` fail besides Deny: `audit` (Audit, dryrun) and `warn` (Warn). */
export type FailOn = "audit" | "warn";

export interface ApplyOptions {
  readonly cwd: string;
  /** Files, folders (recursive .yaml/.yml/.json), or `-` for standard input. */
  readonly inputs: readonly string[];
  /** Reads standard input (for `-`). */
  readonly stdin?: () => string;
  /** The TypeScript policies' folder; undefined: none. */
  readonly policies?: string;
  /** Existing YAML policies: files or folders. */
  readonly policyPaths?: readonly string[];
  readonly mode?: ApplyMode;
  /** The requesting user of admission requests (default: policyc's test user). */
  readonly userInfo?: UserInfo;
  /** A file of Namespace objects (their labels), besides those among the inputs. */
  readonly namespacesFile?: string;
  /** Custom resource kinds that are cluster-scoped, besides what CRDs among the inputs say. */
  readonly clusterScopedKinds?: readonly string[];
  /** Default: every engine the policies have. */
  readonly engines?: readonly EngineName[];
  readonly failOn?: readonly FailOn[];
  readonly cacheDir?: string | false;
  readonly timeoutMs?: number;
  readonly loadTimeoutMs?: number;
  /** Called as phases start (loading policies, compiling Rego, starting the CEL engine, evaluating). */
  readonly onPhase?: (phase: string) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export type ApplyOutcome =
  | { readonly status: "ran"; readonly report: Report; readonly resources: number }
  | { readonly status: "invalid"; readonly errors: readonly Issue[] }
  | { readonly status: "internal"; readonly errors: readonly Issue[] };

/** A resource to evaluate, with where it was read. */
interface Resource {
  readonly object: KubeObject;
  readonly label: string;
  readonly location?: SourceLocation;
}

const CRD = "CustomResourceDefinition";
const isList = (o: KubeObject) => typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray((o as { items?: unknown }).items);

/** Every resource of the inputs: documents in file order, `List` items in place. */
function readResources(o: ApplyOptions, issues: Issue[]): Resource[] {
  const out: Resource[] = [];
  const add = (fixtures: readonly Fixture[], file: string) => {
    fixtures.forEach((f, doc) => {
      if (!isList(f.object)) return out.push({ object: f.object, label: f.label, ...(f.location ? { location: f.location } : {}) });
      ((f.object as { items: unknown[] }).items ?? []).forEach((item, i) => {
        if (!item || typeof item !== "object" || Array.isArray(item) || !(item as KubeObject).kind) {
          issues.push(fieldIssue(file, o.cwd, ["items", i], "a List item must be a Kubernetes object", { doc, code: "invalid_fixture" }));
          return;
        }
        const at = fieldLocation(file, ["items", i], doc) ?? f.location;
        out.push({ object: item as KubeObject, label: `${f.label} items[${i}]`, ...(at ? { location: at } : {}) });
      });
    });
  };
  for (const input of o.inputs) {
    if (input === "-") {
      const r = readFixtureText(o.stdin?.() ?? "", "<stdin>");
      if (r.ok) add(r.value, "<stdin>");
      else issues.push(r.issue);
      continue;
    }
    for (const { file, fixtures } of yamlDocumentsAt(o.cwd, input, "", issues)) add(fixtures, file);
  }
  return out;
}

/**
 * The documents of every YAML file at a path (a file, or a folder read recursively), file by file;
 * a missing path or a file that does not parse is an issue. `what` names the flag in the message.
 */
function yamlDocumentsAt(cwd: string, p: string, what: string, issues: Issue[]): { file: string; fixtures: readonly Fixture[] }[] {
  const abs = path.resolve(cwd, p);
  if (!existsSync(abs)) {
    issues.push(inputIssue("missing_file", `no such file or folder${what}`, p));
    return [];
  }
  return yamlFilesUnder(abs).flatMap((file) => {
    const r = readFixtures(file, cwd);
    if (r.ok) return [{ file, fixtures: r.value }];
    issues.push(r.issue);
    return [];
  });
}

/** The policy documents of `--policy` files and folders, and the kinds of document they hold. */
const POLICY_DOCUMENT_KINDS = new Set<string>([
  ...POLICY_KINDS,
  "PolicyException",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ConstraintTemplate",
  "ExpansionTemplate",
]);
const isConstraintDoc = (d: KubeObject) => typeof d.apiVersion === "string" && d.apiVersion.startsWith("constraints.gatekeeper.sh/");

function readPolicyDocuments(o: ApplyOptions, issues: Issue[]): Fixture[] {
  const out: Fixture[] = [];
  for (const p of o.policyPaths ?? []) {
    for (const { file, fixtures } of yamlDocumentsAt(o.cwd, p, " (--policy)", issues)) {
      fixtures.forEach((f, doc) => {
        if (POLICY_DOCUMENT_KINDS.has(String(f.object.kind)) || isConstraintDoc(f.object)) out.push(f);
        else
          issues.push(
            fieldIssue(
              file,
              o.cwd,
              ["kind"],
              `${f.object.kind} is not a policy document policyc applies (Kyverno, ValidatingAdmissionPolicy or Gatekeeper)`,
              {
                doc,
                code: "invalid_fixture",
              },
            ),
          );
      });
    }
  }
  return out;
}

/** How an engine's deny acts: Deny/Enforce/deny block; Audit/dryrun and Warn report. */
function actionOf(actions: readonly string[]): "deny" | FailOn {
  const lower = actions.map((a) => a.toLowerCase());
  if (lower.length === 0 || lower.some((a) => a === "deny" || a === "enforce")) return "deny";
  return lower.some((a) => a === "warn") ? "warn" : "audit";
}

function statusOf(v: Verdict, failOn: readonly FailOn[]): RowStatus {
  switch (v.kind) {
    case "allow":
      return "pass";
    case "skip":
      return "skip";
    case "error":
      return "error";
    case "deny": {
      const action = actionOf(v.actions);
      return action === "deny" || failOn.includes(action) ? "fail" : "warn";
    }
  }
}

const resourceName = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? ""}`;

/** Policy descriptions from YAML annotations (Kyverno's policies.kyverno.io/*, Gatekeeper's description). */
function infoOf(doc: KubeObject): PolicyInfo {
  const a = doc.metadata?.annotations ?? {};
  const pick = (k: string) => (typeof a[k] === "string" && a[k] ? { [k.split("/").pop()!]: a[k] } : {});
  return {
    ...pick("policies.kyverno.io/title"),
    ...pick("policies.kyverno.io/description"),
    ...pick("policies.kyverno.io/category"),
    ...pick("policies.kyverno.io/severity"),
    ...(typeof a.description === "string" ? { description: a.description } : {}),
  };
}

/**
 * The rows of one policy instance on one resource, an engine each; none when no engine applied
 * it. Engines that give different verdicts (an error or a policy an engine does not evaluate
 * aside) make every row an error: the same policy must decide the same way everywhere.
 */
export function judgeAnswers(
  answers: readonly EngineAnswer[],
  toRow: (engine: EngineName, v: Verdict) => ResultRow,
): { rows: ResultRow[]; disagreed: boolean } {
  const verdicts = answers.flatMap((a) => ("verdict" in a ? [a] : []));
  if (verdicts.every((a) => a.verdict.kind === "skip")) return { rows: [], disagreed: false };
  const deciding = verdicts.filter(
    (a) => a.verdict.kind !== "error" && !(a.verdict.kind === "skip" && a.verdict.cause.code === "not_evaluated"),
  );
  const disagreed = new Set(deciding.map((a) => a.verdict.kind)).size > 1;
  const said = Object.fromEntries(verdicts.map((x) => [x.engine, x.verdict.kind === "skip" ? "none" : x.verdict.kind]));
  const rows = verdicts.map((a) => {
    const out = toRow(a.engine, a.verdict);
    return disagreed ? { ...out, status: "error" as const, cause: { kind: "disagreement" as const, verdicts: said } } : out;
  });
  return { rows, disagreed };
}

export async function runApply(o: ApplyOptions): Promise<ApplyOutcome> {
  const started = performance.now();
  const issues: Issue[] = [];
  const mode = o.mode ?? "admission";
  const audit = mode === "audit";
  const failOn = o.failOn ?? [];
  const wanted = o.engines ?? ENGINE_NAMES;
  const notes: string[] = [];

  o.onPhase?.("reading manifests");
  const inputs = readResources(o, issues);
  const policyDocs = readPolicyDocuments(o, issues);
  let namespaceObjects: Resource[] = [];
  if (o.namespacesFile) {
    const r = readFixtures(path.resolve(o.cwd, o.namespacesFile), o.cwd);
    if (r.ok)
      namespaceObjects = r.value
        .flatMap((f) => (isList(f.object) ? ((f.object as { items: KubeObject[] }).items ?? []) : [f.object]))
        .map((object) => ({ object, label: o.namespacesFile! }));
    else issues.push(r.issue);
  }
  if (issues.length) return { status: "invalid", errors: uniqueIssues(issues) };

  // The cluster the manifests go into: Namespaces (with labels), and the scope of custom kinds.
  const clusterScoped = new Set(o.clusterScopedKinds ?? []);
  for (const r of inputs) {
    const spec = (r.object as { spec?: { scope?: string; names?: { kind?: string } } }).spec;
    if (r.object.kind === CRD && spec?.scope === "Cluster" && spec.names?.kind) clusterScoped.add(spec.names.kind);
  }
  const namespaced = (x: KubeObject) => !clusterScoped.has(String(x.kind)) && isNamespaced(x);
  // A namespaced resource without a namespace goes to `default`, as kubectl and the Kyverno CLI put it.
  const resources = inputs.map((r) => ({ ...r, object: inDefaultNamespace(r.object, namespaced) }));
  const namespaces: Record<string, KubeObject> = {};
  for (const r of [...namespaceObjects, ...resources])
    if (r.object.kind === "Namespace" && r.object.apiVersion === "v1" && r.object.metadata?.name)
      namespaces[r.object.metadata.name] ??= r.object;
  // The cluster's objects (Gatekeeper's synced inventory, lookups): the resources and the given Namespaces.
  const objects = [...resources.map((r) => r.object), ...namespaceObjects.map((r) => r.object)];
  const request = (object: KubeObject): AdmissionRequest => ({
    operation: "CREATE",
    object,
    // A background scan has no requesting user (so exceptions by user or group do not apply there).
    ...(audit ? { userInfo: { username: "", groups: [] } } : o.userInfo ? { userInfo: o.userInfo } : {}),
    cluster: { namespaces, objects },
  });

  // Engines start while the loader thread imports the TypeScript policies.
  const celEarly =
    (o.policies !== undefined && wanted.some((e) => e === "kyverno" || e === "kubernetes")) ||
    policyDocs.some((d) => d.object.kind !== "ConstraintTemplate" && !isConstraintDoc(d.object) && d.object.kind !== "ExpansionTemplate")
      ? CelRuntime.get()
      : undefined;
  const regoEarly =
    (o.policies !== undefined && wanted.includes("gatekeeper")) || policyDocs.some((d) => d.object.kind === "ConstraintTemplate")
      ? regoCompiler()
      : undefined;
  celEarly?.catch(() => {});
  regoEarly?.catch(() => {});

  // The TypeScript policies, built in memory.
  o.onPhase?.("loading policies");
  const compiled: CompiledPolicy[] = [];
  if (o.policies !== undefined) {
    const dir = path.resolve(o.cwd, o.policies);
    if (!existsSync(dir) || findPolicyFiles(dir).length === 0)
      return { status: "invalid", errors: [inputIssue("invalid_path", "holds no policy files (--policies)", o.policies)] };
    const built = await buildInMemory(o.cwd, dir, o.loadTimeoutMs);
    if (built.status === "invalid" || built.status === "internal") return { status: built.status, errors: built.issues };
    compiled.push(...built.compiled);
  }
  if (compiled.length === 0 && policyDocs.length === 0)
    return {
      status: "invalid",
      errors: [
        {
          code: "invalid_path",
          message: "no policies to apply: give --policies DIR (TypeScript) or --policy FILE|DIR (YAML)",
          severity: "error",
          path: [],
        },
      ],
    };

  // Engines: the CEL runtime and the Rego compiler, only when some policy needs them.
  // The engines started above are the ones the policies need.
  const needsCel = celEarly !== undefined;
  const needsRego = regoEarly !== undefined;
  let runtime: CelRuntime | undefined;
  let compiler: Awaited<ReturnType<typeof regoCompiler>> | undefined;
  try {
    if (needsCel) {
      o.onPhase?.("starting the CEL engine");
      runtime = await celEarly;
    }
    if (needsRego) compiler = await regoEarly;
  } catch (e) {
    if (e instanceof EngineMissingError)
      return { status: "internal", errors: [{ code: "engine_missing", message: e.message, severity: "error", path: [] }] };
    throw e;
  }
  const cacheDir = o.cacheDir === false ? undefined : (o.cacheDir ?? defaultWasmCache());
  if (needsRego) o.onPhase?.("compiling Rego");

  const rows: ResultRow[] = [];
  const policies: Record<string, PolicyInfo> = {};
  let disagreements = 0;
  let notApplicable = 0;
  const locate = (p: DocumentProblem): Issue => documentProblemIssue(policyDocs, p, o.cwd, "invalid_fixture");

  // YAML policies: each engine reads its own documents.
  const documents = policyDocs.map((f) => f.object);
  type Unit = { policy: string; engine: EngineName; source?: SourceLocation; evaluate: (r: Resource) => Verdict };
  const units: Unit[] = [];
  if (policyDocs.length > 0) {
    const problems: Issue[] = [];
    const sourceOf = (d: KubeObject) => policyDocs.find((f) => f.object === d)?.location;
    if (runtime) {
      // Admission judges PolicyExceptions' expiresAt; background scans do not (kyverno#17473).
      const ky = KyvernoEngine.prepare(documents, { runtime, ...(audit ? {} : { now: Date.now() }) });
      problems.push(...ky.problems.map(locate));
      for (const d of documents.filter((x) => (POLICY_KINDS as readonly string[]).includes(String(x.kind)))) {
        const name = qualifiedName(d);
        policies[name] = infoOf(d);
        const spec = (d as { spec?: Record<string, unknown> }).spec ?? {};
        const background = String(d.kind).endsWith("ValidatingPolicy")
          ? (spec.evaluation as { background?: { enabled?: boolean } } | undefined)?.background?.enabled !== false
          : spec.background !== false;
        units.push({
          policy: name,
          engine: "kyverno",
          ...(sourceOf(d) ? { source: sourceOf(d)! } : {}),
          evaluate: (r) =>
            audit && !background
              ? skip("not_evaluated", "Kyverno's background scan skips this policy (background disabled)")
              : ky.engine.evaluate(name, request(r.object)).verdict,
        });
      }
      // A ValidatingAdmissionPolicy without a binding among the documents is bound with Deny, as the Kyverno CLI does.
      const vap = KubernetesEngine.prepare(documents, { runtime, bindUnbound: true });
      problems.push(...vap.problems.map(locate));
      for (const d of documents.filter((x) => x.kind === "ValidatingAdmissionPolicy")) {
        const name = String(d.metadata?.name ?? "");
        policies[name] = infoOf(d);
        units.push({
          policy: name,
          engine: "kubernetes",
          ...(sourceOf(d) ? { source: sourceOf(d)! } : {}),
          evaluate: (r) => vap.engine.evaluate(name, request(r.object)),
        });
      }
    }
    if (compiler && documents.some((d) => d.kind === "ConstraintTemplate")) {
      const gk = await GatekeeperEngine.prepare([{ id: "apply", documents }], { compiler, cacheDir });
      problems.push(...gk.problems.map(locate));
      for (const d of documents.filter(isConstraintDoc)) {
        const name = String(d.metadata?.name ?? "");
        const template = documents.find(
          (t) =>
            t.kind === "ConstraintTemplate" &&
            (t as { spec?: { crd?: { spec?: { names?: { kind?: string } } } } }).spec?.crd?.spec?.names?.kind === d.kind,
        );
        policies[name] = template ? infoOf(template) : {};
        units.push({
          policy: name,
          engine: "gatekeeper",
          ...(sourceOf(d) ? { source: sourceOf(d)! } : {}),
          evaluate: (r) => gk.engine.evaluate("apply", name, request(r.object), { audit, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
        });
      }
    }
    if (problems.length) return { status: "invalid", errors: uniqueIssues(problems) };
  }

  // TypeScript policies: every engine they have, compared with each other.
  const engineNames = wanted.filter((e) => (e === "gatekeeper" ? compiler : e === "reference" ? true : runtime));
  const ts = compiled.length
    ? await preparePolicycEngines(compiled, engineNames, {
        ...(compiler ? { compiler } : {}),
        cacheDir,
        ...(runtime ? { runtime } : {}),
        // Admission judges PolicyExceptions' expiresAt; background scans do not (kyverno#17473).
        ...(audit ? {} : { now: Date.now() }),
      })
    : undefined;
  if (ts?.internal.length) return { status: "internal", errors: ts.internal };
  for (const p of compiled)
    policies[p.policy.name] = {
      ...(p.policy.title ? { title: p.policy.title } : {}),
      ...(p.policy.description ? { description: p.policy.description } : {}),
      ...(p.policy.category ? { category: p.policy.category } : {}),
      ...(p.policy.severity ? { severity: p.policy.severity } : {}),
    };

  o.onPhase?.(`evaluating ${resources.length} resources`);
  const base = (r: Resource, policy: string, engine: EngineName, source?: SourceLocation) => ({
    policy,
    case: r.label,
    resource: resourceName(r.object),
    subject: {
      apiVersion: String(r.object.apiVersion),
      kind: String(r.object.kind),
      name: String(r.object.metadata?.name ?? ""),
      ...(r.object.metadata?.namespace ? { namespace: r.object.metadata.namespace } : {}),
    },
    engine,
    expected: "allow",
    ...(r.location ? { source: r.location.file, resourceLocation: r.location } : {}),
    ...(source ? { location: source } : {}),
  });
  const row = (b: ReturnType<typeof base>, v: Verdict, rule = ""): ResultRow => {
    const status = statusOf(v, failOn);
    return {
      ...b,
      rule: rule || (v.kind === "deny" ? [...new Set(v.violations.flatMap((x) => (x.rule ? [x.rule] : [])))].join(",") : ""),
      actual: v.kind === "skip" ? "none" : v.kind,
      status,
      messages: b.engine === "kyverno" ? reportedMessagesOf(v) : v.kind === "deny" ? v.violations.map((x) => x.message) : [],
      ...(v.kind === "error" ? { cause: { kind: "error", code: v.cause.code, detail: v.cause.detail } as const } : {}),
      ...(v.kind === "deny" ? { enforcement: v.actions.join(",") } : {}),
    };
  };
  resources.forEach((r, i) => {
    for (const u of units) {
      const v = u.evaluate(r);
      if (v.kind === "skip") notApplicable++;
      else rows.push(row(base(r, u.policy, u.engine, u.source), v));
    }
    for (const p of compiled) {
      // Background scans never see admission-only policies (old object, operation, user).
      if (audit && isAdmissionOnly(p.policy)) {
        notApplicable++;
        continue;
      }
      for (const inst of p.policy.instances) {
        const answers = ts!.engines.evaluate(p, inst, request(r.object), { audit });
        const judged = judgeAnswers(answers, (engine, v) => row(base(r, instanceName(p.policy.name, inst), engine, p.policy.source), v));
        if (judged.rows.length === 0) notApplicable++;
        if (judged.disagreed) disagreements++;
        rows.push(...judged.rows);
      }
    }
    o.onProgress?.(i + 1, resources.length);
  });
  ts?.engines.release();
  if (notApplicable) notes.push(`${notApplicable} policy/resource pairs where the policy does not apply`);
  if (audit && compiled.some((p) => isAdmissionOnly(p.policy)))
    notes.push("admission-only policies (old object, operation or user) are not evaluated in audit mode: background scans never see them");
  if (audit && units.some((u) => u.engine === "kubernetes"))
    notes.push("ValidatingAdmissionPolicies have no background scan: in audit mode they are evaluated as an admission CREATE");
  return {
    status: "ran",
    report: {
      summary: { ...summarize(rows, disagreements, performance.now() - started), cases: resources.length },
      results: rows,
      notes,
      policies,
    },
    resources: resources.length,
  };
}
