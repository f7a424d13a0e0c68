/**
 * `policyc apply`: Kubernetes manifests (files, folders, standard input; multi-document files and
 * `kind: List`) evaluated against policies before a cluster sees them, on the real engines. The
 * policies are the repository's TypeScript policies and/or existing YAML policies (Kyverno
 * ValidatingPolicy and ClusterPolicy `validate.cel`, ValidatingAdmissionPolicy with its binding,
 * Gatekeeper ConstraintTemplate with its Constraint). Each resource is an admission CREATE, or in
 * audit mode what Kyverno's and Gatekeeper's background scans see.
 *
 * A run reads as its steps: read the inputs, model the cluster they go into, compose the engines,
 * evaluate every resource, report.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { reportedMessagesOf, type EngineName, type Verdict } from "../engines/index.js";
import type { CompiledPolicy } from "../build/index.js";
import { instanceName, isAdmissionOnly, type Issue, type SourceLocation } from "../ir/index.js";
import { findPolicyFiles } from "../load/index.js";
import type { KubeObject, UserInfo } from "../kube/index.js";
import { clusterOf, readApplyInputs, type ApplyCluster, type ApplyInputs } from "./apply-inputs.js";
import {
  compareAnswers,
  composeDocumentEngines,
  composePolicycEngines,
  runtimesNeeded,
  type DocumentEngines,
  type EngineAnswer,
  type PolicycEngines,
  type Runtimes,
} from "./compose.js";
import { documentProblemIssue, inputIssue, uniqueIssues, type Fixture } from "./fixtures.js";
import { ENGINE_NAMES, summarize, type PolicyInfo, type ResultRow, type RowStatus, type RunOutcome, type Stopped } from "./report.js";
import { verdictRow, type RowBase } from "./rows.js";
import { buildInMemory, DEFAULT_TIMEOUT_MS } from "./run.js";
import { awaitRuntime, defaultWasmCache, startRuntimes } from "./runtimes.js";

export type ApplyMode = "admission" | "audit";
/** Actions that make `apply` fail besides Deny: `audit` (Audit, dryrun) and `warn` (Warn). */
export type FailOn = "audit" | "warn";

export interface ApplyOptions {
  readonly cwd: string;
  /** Files, folders (recursive .yaml/.yml/.json), or `-` for standard input. */
  readonly inputs: readonly string[];
  /** Reads standard input (for `-`), as a stream that may be slow. */
  readonly stdin?: () => Promise<string>;
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

export type ApplyOutcome = RunOutcome<{ readonly resources: number }>;
type Stop = Stopped;

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
function infoOf(doc: KubeObject | undefined): PolicyInfo {
  const a = doc?.metadata?.annotations ?? {};
  const pick = (k: string) => (typeof a[k] === "string" && a[k] ? { [k.split("/").pop()!]: a[k] } : {});
  return {
    ...pick("policies.kyverno.io/title"),
    ...pick("policies.kyverno.io/description"),
    ...pick("policies.kyverno.io/category"),
    ...pick("policies.kyverno.io/severity"),
    ...(typeof a.description === "string" ? { description: a.description } : {}),
  };
}

const infoOfPolicy = (p: CompiledPolicy["policy"]): PolicyInfo => ({
  ...(p.title ? { title: p.title } : {}),
  ...(p.description ? { description: p.description } : {}),
  ...(p.category ? { category: p.category } : {}),
  ...(p.severity ? { severity: p.severity } : {}),
});

/**
 * The rows of one policy instance on one resource, an engine each; none when no engine applied
 * it. Engines that disagree (compose.ts's one rule) make every row an error: the same policy must
 * decide the same way everywhere.
 */
export function judgeAnswers(
  answers: readonly EngineAnswer[],
  toRow: (engine: EngineName, v: Verdict) => ResultRow,
): { rows: ResultRow[]; disagreed: boolean } {
  const verdicts = answers.flatMap((a) => ("verdict" in a ? [a] : []));
  if (verdicts.every((a) => a.verdict.kind === "skip")) return { rows: [], disagreed: false };
  const { disagreed, verdicts: said, messages } = compareAnswers(answers);
  const rows = verdicts.map((a) => {
    const out = toRow(a.engine, a.verdict);
    return disagreed
      ? {
          ...out,
          status: "error" as const,
          cause: { kind: "disagreement" as const, verdicts: said, ...(messages ? { mismatch: messages } : {}) },
        }
      : out;
  });
  return { rows, disagreed };
}

/** The composed engines of a run: existing YAML policies and policyc's own. */
interface ApplyEngines {
  readonly yaml?: DocumentEngines;
  readonly ts?: PolicycEngines;
  readonly compiled: readonly CompiledPolicy[];
  readonly policies: Record<string, PolicyInfo>;
}

export async function runApply(o: ApplyOptions): Promise<ApplyOutcome> {
  const started = performance.now();
  o.onPhase?.("reading manifests");
  const inputs = await readApplyInputs(o);
  if ("status" in inputs) return inputs;
  const cluster = clusterOf(inputs, o);
  const engines = await composeApplyEngines(o, inputs);
  if ("status" in engines) return engines;
  o.onPhase?.(`evaluating ${cluster.resources.length} resources`);
  const evaluated = evaluateResources(o, cluster, engines, inputs);
  engines.ts?.release();
  engines.yaml?.release();
  return {
    status: "ran",
    report: {
      summary: { ...summarize(evaluated.rows, evaluated.disagreements, performance.now() - started), cases: cluster.resources.length },
      results: evaluated.rows,
      notes: notesOf(o, engines, evaluated.notApplicable),
      policies: engines.policies,
    },
    resources: cluster.resources.length,
  };
}

/** What the report says besides its rows: what did not apply, and what audit mode cannot see. */
function notesOf(o: ApplyOptions, engines: ApplyEngines, notApplicable: number): string[] {
  const notes: string[] = [];
  const audit = o.mode === "audit";
  if (notApplicable) notes.push(`${notApplicable} policy/resource pairs where the policy does not apply`);
  if (audit && engines.compiled.some((p) => isAdmissionOnly(p.policy)))
    notes.push("admission-only policies (old object, operation or user) are not evaluated in audit mode: background scans never see them");
  if (audit && engines.yaml?.policies.some((p) => p.engine === "kubernetes"))
    notes.push("ValidatingAdmissionPolicies have no background scan: in audit mode they are evaluated as an admission CREATE");
  return notes;
}

const isConstraint = (d: KubeObject) => typeof d.apiVersion === "string" && d.apiVersion.startsWith("constraints.gatekeeper.sh/");

/**
 * The engines for the run: the runtimes started while the loader thread imports the TypeScript
 * policies (only those some policy needs), then the YAML policies' engines and policyc's.
 */
async function composeApplyEngines(o: ApplyOptions, inputs: ApplyInputs): Promise<ApplyEngines | Stop> {
  const wanted = o.engines ?? ENGINE_NAMES;
  const docs = inputs.policyDocuments.map((f) => f.object);
  const ts = o.policies !== undefined ? runtimesNeeded(wanted) : { cel: false, rego: false };
  const start = startRuntimes({
    cel: ts.cel || docs.some((d) => d.kind !== "ConstraintTemplate" && !isConstraint(d) && d.kind !== "ExpansionTemplate"),
    rego: ts.rego || docs.some((d) => d.kind === "ConstraintTemplate"),
  });
  o.onPhase?.("loading policies");
  const compiled = await loadTypeScriptPolicies(o);
  if (!Array.isArray(compiled)) return compiled;
  if (compiled.length === 0 && docs.length === 0)
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
  if (start.cel) o.onPhase?.("starting the CEL engine");
  const cel = await awaitRuntime(start.cel);
  const rego = await awaitRuntime(start.rego);
  const missing = [cel.missing, rego.missing].filter((m): m is Issue => m !== undefined);
  if (missing.length) return { status: "internal", errors: missing };
  if (start.rego) o.onPhase?.("compiling Rego");
  const runtimes: Runtimes = {
    cacheDir: o.cacheDir === false ? undefined : (o.cacheDir ?? defaultWasmCache()),
    ...(cel.value ? { cel: cel.value } : {}),
    ...(rego.value ? { rego: rego.value } : {}),
  };
  // Admission judges PolicyExceptions' expiresAt; background scans do not (kyverno#17473).
  const context = { runtimes, bindUnbound: true, ...(o.mode === "audit" ? {} : { now: Date.now() }) };
  const policies: Record<string, PolicyInfo> = {};
  let yaml: DocumentEngines | undefined;
  if (docs.length > 0) {
    const composed = await composeDocumentEngines([{ id: "", documents: docs }], context);
    if (composed.problems.length)
      return {
        status: "invalid",
        errors: uniqueIssues(composed.problems.map((p) => documentProblemIssue(inputs.policyDocuments, p, o.cwd, "invalid_fixture"))),
      };
    yaml = composed.engines;
    for (const p of yaml.policies) policies[p.name] = infoOf(describingDocument(docs, docs[p.document]!));
  }
  if (compiled.length === 0) return { ...(yaml ? { yaml } : {}), compiled, policies };
  const names = wanted.filter((e) => (e === "gatekeeper" ? runtimes.rego : e === "reference" ? true : runtimes.cel));
  const composed = await composePolicycEngines(compiled, names, context);
  if (composed.internal.length) return { status: "internal", errors: composed.internal };
  for (const p of compiled) policies[p.policy.name] = infoOfPolicy(p.policy);
  return { ...(yaml ? { yaml } : {}), ts: composed.engines, compiled, policies };
}

/** The document that describes a policy: the policy's own, or a Constraint's template. */
function describingDocument(docs: readonly KubeObject[], doc: KubeObject): KubeObject | undefined {
  if (!isConstraint(doc)) return doc;
  return docs.find(
    (t) =>
      t.kind === "ConstraintTemplate" &&
      (t as { spec?: { crd?: { spec?: { names?: { kind?: string } } } } }).spec?.crd?.spec?.names?.kind === doc.kind,
  );
}

/** The TypeScript policies, built in memory (none without --policies). */
async function loadTypeScriptPolicies(o: ApplyOptions): Promise<CompiledPolicy[] | Stop> {
  if (o.policies === undefined) return [];
  const dir = path.resolve(o.cwd, o.policies);
  if (!existsSync(dir) || findPolicyFiles(dir).length === 0)
    return { status: "invalid", errors: [inputIssue("invalid_path", "holds no policy files (--policies)", o.policies)] };
  const built = await buildInMemory(o.cwd, dir, o.loadTimeoutMs);
  if (built.status === "invalid" || built.status === "internal") return { status: built.status, errors: built.issues };
  return [...built.compiled];
}

/** Every resource against every policy: the rows, and what did not apply. */
function evaluateResources(
  o: ApplyOptions,
  cluster: ApplyCluster,
  engines: ApplyEngines,
  inputs: ApplyInputs,
): { rows: ResultRow[]; disagreements: number; notApplicable: number } {
  const audit = o.mode === "audit";
  const failOn = o.failOn ?? [];
  const options = { audit, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const rows: ResultRow[] = [];
  let disagreements = 0;
  let notApplicable = 0;
  const row = (base: RowBase, v: Verdict): ResultRow =>
    verdictRow(base, v, { status: statusOf(v, failOn), ...(base.engine === "kyverno" ? { messages: reportedMessagesOf(v) } : {}) });
  cluster.resources.forEach((r, i) => {
    const request = cluster.request(r.object);
    for (const p of engines.yaml?.policies ?? []) {
      const started = performance.now();
      const v = engines.yaml!.evaluate(p, request, options);
      const durationMs = performance.now() - started;
      const source = inputs.policyDocuments[p.document]?.location;
      if (v.kind === "skip") notApplicable++;
      else rows.push(row({ ...rowBase(r, p.name, p.engine, source), durationMs }, v));
    }
    for (const p of engines.compiled) {
      // Background scans never see admission-only policies (old object, operation, user).
      if (audit && isAdmissionOnly(p.policy)) {
        notApplicable++;
        continue;
      }
      for (const inst of p.policy.instances) {
        const name = instanceName(p.policy.name, inst);
        const answers = engines.ts!.evaluate(p, inst, request, { audit });
        const ms = new Map(answers.map((a) => [a.engine, "ms" in a ? a.ms : undefined]));
        const judged = judgeAnswers(answers, (engine, v) =>
          row({ ...rowBase(r, name, engine, p.policy.source), durationMs: ms.get(engine) ?? 0 }, v),
        );
        if (judged.rows.length === 0) notApplicable++;
        if (judged.disagreed) disagreements++;
        rows.push(...judged.rows);
      }
    }
    o.onProgress?.(i + 1, cluster.resources.length);
  });
  return { rows, disagreements, notApplicable };
}

/** What a row of `apply` is about: the resource (and where it was read), the policy, the engine. */
function rowBase(r: Fixture, policy: string, engine: EngineName, source?: SourceLocation): RowBase {
  return {
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
  };
}
