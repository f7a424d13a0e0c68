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
import os from "node:os";
import path from "node:path";
import picomatch from "picomatch";
import { reportedMessagesOf, type EngineName, type Verdict } from "../engines/index.js";
import type { CompiledMutation, CompiledPolicy } from "../build/index.js";
import {
  documentMutationOrder,
  mutatedFrom,
  mutateResources,
  mutateWithDocuments,
  type DocumentMutations,
  type MutatedCluster,
  type MutatedParts,
} from "./apply-mutations.js";
import { admittedKinds, instanceName, isAdmissionOnly, type Issue, type SourceLocation } from "../ir/index.js";
import { findPolicyFiles } from "../load/index.js";
import {
  apiVersionOf,
  BUILTIN_KINDS,
  groupVersionOf,
  isNamespaced,
  POD_CONTROLLERS,
  type AdmissionRequest,
  type KubeObject,
  type UserInfo,
} from "../kube/index.js";
import {
  clusterOf,
  MUTATION_DOCUMENT_KINDS,
  readApplyInputs,
  resourceFieldLocation,
  resourceName,
  type ApplyCluster,
  type ApplyInputs,
  type Resource,
} from "./apply-inputs.js";
import {
  composeMutationEngines,
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
import {
  ENGINE_NAMES,
  policyInfoOf,
  summarize,
  type PolicyInfo,
  type ResultRow,
  type RowStatus,
  type RunOutcome,
  type Stopped,
} from "./report.js";
import { verdictRow, type RowBase } from "./rows.js";
import { CaseThread } from "./case-thread.js";
import { mergeParts, notApplicableNote, splits, startSecondProcess, type PartInfo } from "./apply-processes.js";
import { hashShard, inShard, type Shard } from "./selection.js";
import { buildInMemory, DEFAULT_TIMEOUT_MS } from "./run.js";
import { awaitRuntime, defaultWasmCache, startRuntimes, type RuntimeStart } from "./runtimes.js";

export type ApplyMode = "admission" | "audit";

/** From how many resources `apply` compiles the CEL engine with V8's optimising tier (docs/internals.md). */
const OPTIMISE_APPLY_FROM = 100;
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
  /** Files or folders of objects the cluster holds besides the inputs (`kubectl get -A -o yaml`): looked up, never checked. */
  readonly clusterPaths?: readonly string[];
  /** Where namespaced objects without a namespace go (`kubectl apply -n`); an object naming another is bad input. */
  readonly namespace?: string;
  /** Only policies whose name (or instance's name) matches one of these globs. */
  readonly includePolicies?: readonly string[];
  /** Leave out policies whose name (or instance's name) matches one of these globs. */
  readonly excludePolicies?: readonly string[];
  /** Input files to leave out: globs of paths relative to cwd (a folder's glob leaves out what is in it). */
  readonly ignore?: readonly string[];
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
  /** Input documents that are not Kubernetes objects are bad input (exit 2), not error rows. */
  readonly strictInput?: boolean;
  /** Aborted (SIGINT, SIGTERM): the run stops between resources and reports the rows decided, marked incomplete. */
  readonly signal?: AbortSignal;
  /**
   * Only this shard of the resources is checked (dealt round-robin by where each was read, so a
   * CI matrix covers every resource once); every input is still in the cluster lookups read.
   */
  readonly shard?: Shard;
  /** Run the TypeScript mutations before the validations, as admission does (default: in admission mode). */
  readonly mutate?: boolean;
  /** The outcome keeps the resources as mutated (`--mutate-out`): the run stays in one process. */
  readonly keepMutated?: boolean;
  /** This process's part of a run split between processes (apply-processes.ts), after `shard`. */
  readonly part?: Shard;
}

/** `sent`: policy/resource pairs sent to an engine (0: no policy applies to any input). */
export type ApplyOutcome = RunOutcome<{
  readonly resources: number;
  readonly sent: number;
  /** The resources as the validations read them: mutated, when mutations ran (`--mutate-out`). */
  readonly mutated?: readonly Resource[];
  /** A part's (`part`): what merging it with the other parts needs. */
  readonly part?: PartInfo;
}>;
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
  /** Every TypeScript policy of the run. */
  readonly compiled: readonly CompiledPolicy[];
  /** The mutation documents of `--policy`, composed (apply-mutations.ts). */
  readonly documentMutations?: DocumentMutations;
  /** The TypeScript mutations, with the engines and runtimes that apply them (apply-mutations.ts). */
  readonly mutations?: {
    readonly compiled: readonly CompiledMutation[];
    readonly names: readonly EngineName[];
    readonly runtimes: Runtimes;
    /** The second thread doing them, in a short run (startMutationThread). */
    readonly thread?: Promise<MutatedParts>;
  };
  /** Those this thread evaluates (all, unless a second thread evaluates the others: `thread`). */
  readonly here?: readonly CompiledPolicy[];
  readonly thread?: Promise<ApplyShareResult>;
  readonly policies: Record<string, PolicyInfo>;
}

/** What the second thread of a large `apply` is given: the inputs, the options that are data, its share of the policies. */
export interface ApplyShare {
  readonly options: Omit<ApplyOptions, "onPhase" | "onProgress" | "stdin" | "signal">;
  readonly inputs: ApplyInputs;
  readonly compiled: readonly CompiledPolicy[];
  readonly names: readonly EngineName[];
  readonly cacheDir: string | undefined;
  readonly now?: number;
}

/** What a thread's evaluation gives: the rows, resource by resource (`ends[i]`: the row count after resource i), and its counts. */
export interface ApplyShareResult {
  readonly rows: ResultRow[];
  readonly ends: number[];
  readonly disagreements: number;
  readonly notApplicable: number;
  readonly sent: number;
  /** Set when a signal stopped the run: the index of the first resource not evaluated. */
  readonly stoppedAt?: number;
}

/**
 * The policies each thread evaluates when `apply` splits them (POLICYC_THREADS=2): every other
 * policy (CEL-heavy pod policies spread over both). Not the default: measured on this project's
 * 2-core machine, two threads gave no wall-time gain (5,000 objects, all engines: 65.6 s against
 * 67.4 s on one, peak RSS 1.86 GB against 1.16 GB; 500: 12.4-14.3 s against 12.6-13.1 s), as each
 * thread's WebAssembly ran about half as fast while the other ran (docs/internals.md). Not for
 * standard input, whose findings are located in text the second thread does not have.
 */
function threadShares(o: ApplyOptions, compiled: readonly CompiledPolicy[]): [CompiledPolicy[], CompiledPolicy[]] | undefined {
  if (process.env["POLICYC_THREADS"] !== "2" || os.availableParallelism() < 2 || compiled.length < 2 || o.inputs.includes("-"))
    return undefined;
  return [compiled.filter((_, i) => i % 2 === 0), compiled.filter((_, i) => i % 2 === 1)];
}

/**
 * The second thread's side: composes the engines for its share with its own runtimes (the CEL
 * engine from the main thread's compiled module, case-thread-worker.ts), builds the same cluster and evaluates every
 * resource against its policies.
 */
export async function evaluateApplyShare(share: ApplyShare, runtimes: Runtimes): Promise<ApplyShareResult> {
  const context = { runtimes, bindUnbound: true, ...(share.now !== undefined ? { now: share.now } : {}) };
  const composed = await composePolicycEngines(share.compiled, share.names, context);
  if (composed.internal.length) throw new Error(composed.internal.map((i) => i.message).join("; "));
  const cluster = sharded(clusterOf(share.inputs, share.options), share.options.shard);
  try {
    return await evaluateResources(
      share.options,
      cluster,
      { ts: composed.engines, compiled: share.compiled, policies: {} },
      share.inputs,
      false,
    );
  } finally {
    composed.engines.release();
  }
}

/**
 * Both threads' rows, resource by resource, each resource's rows in the order one thread gives
 * them: rows of no TypeScript policy first (coverage, YAML policies), then by policy.
 */
function mergeShares(a: ApplyShareResult, b: ApplyShareResult, compiled: readonly CompiledPolicy[]): ApplyShareResult {
  const order = new Map<string, number>();
  compiled.forEach((p, i) => p.policy.instances.forEach((inst) => order.set(instanceName(p.policy.name, inst), i)));
  const rank = (r: ResultRow) => order.get(r.policy) ?? -1;
  const rows: ResultRow[] = [];
  const ends: number[] = [];
  a.ends.forEach((end, i) => {
    const part = [...a.rows.slice(a.ends[i - 1] ?? 0, end), ...b.rows.slice(b.ends[i - 1] ?? 0, b.ends[i])];
    rows.push(...part.sort((x, y) => rank(x) - rank(y)));
    ends.push(rows.length);
  });
  return {
    rows,
    ends,
    disagreements: a.disagreements + b.disagreements,
    notApplicable: a.notApplicable + b.notApplicable,
    sent: a.sent + b.sent,
  };
}

export async function runApply(o: ApplyOptions): Promise<ApplyOutcome> {
  const started = performance.now();
  o.onPhase?.("reading manifests");
  const inputs = await readApplyInputs(o);
  if ("status" in inputs) return inputs;
  const clash = [...namespaceClashes(inputs, o), ...relabelledNamespaces(inputs)];
  if (clash.length) return { status: "invalid", errors: clash };
  if (o.strictInput && inputs.invalid.length) return { status: "invalid", errors: inputs.invalid };
  const whole = sharded(clusterOf(inputs, o), o.shard);
  return splits(o, whole.resources.length) ? runSplit(o, inputs, whole, started) : runPart(o, inputs, whole, started);
}

/** The run (or this process's part of it, `o.part`) on the inputs read and their cluster. */
async function runPart(o: ApplyOptions, inputs: ApplyInputs, whole: ApplyCluster, started: number): Promise<ApplyOutcome> {
  const cluster = sharded(whole, o.part);
  const engines = await composeApplyEngines(o, inputs, cluster);
  if ("status" in engines) return engines;
  const unchosen = choiceProblems(o, engines);
  if (unchosen.length) {
    engines.ts?.release();
    engines.yaml?.release();
    return { status: "invalid", errors: unchosen };
  }
  const mutated = await mutationPhase(o, cluster, engines);
  for (const e of engines.documentMutations?.engines ?? []) e.release();
  o.onPhase?.(`evaluating ${cluster.resources.length} resources`);
  const validated = await evaluateResources(o, mutated?.cluster ?? cluster, engines, inputs);
  const mine = mutated
    ? { ...validated, rows: [...mutated.rows, ...validated.rows], disagreements: validated.disagreements + mutated.disagreements }
    : validated;
  engines.ts?.release();
  engines.yaml?.release();
  // Stopped by a signal: the rows this thread decided (the other thread's, if any, are not awaited).
  const evaluated = engines.thread && mine.stoppedAt === undefined ? mergeShares(mine, await engines.thread, engines.compiled) : mine;
  const engine = engines.ts?.names[0] ?? engines.yaml?.policies[0]?.engine ?? "reference";
  const invalid = o.part && o.part.index > 1 ? [] : inputs.invalid.filter((i) => hashShard(i.source?.file ?? i.file ?? "", o.shard));
  evaluated.rows.unshift(...invalid.map((issue) => invalidInputRow(issue, engine)));
  return {
    status: "ran",
    report: {
      summary: {
        ...summarize(evaluated.rows, evaluated.disagreements, performance.now() - started),
        cases: cluster.resources.length,
        ...(evaluated.stoppedAt !== undefined
          ? {
              incomplete: `stopped by a signal after ${evaluated.stoppedAt} of ${cluster.resources.length} resources; the rows decided are reported`,
            }
          : {}),
      },
      results: evaluated.rows,
      notes: notesOf(o, engines, evaluated.notApplicable),
      policies: engines.policies,
    },
    resources: cluster.resources.length,
    sent: evaluated.sent,
    ...(o.part
      ? {
          part: {
            order: whole.resources.map((r) => r.label),
            segments: [invalid.length, ...(mutated?.segments ?? [0, 0]).map((n) => invalid.length + n), evaluated.rows.length],
            notApplicable: evaluated.notApplicable,
            disagreements: evaluated.disagreements,
            ...(evaluated.stoppedAt !== undefined ? { stoppedAt: evaluated.stoppedAt } : {}),
          },
        }
      : { mutated: (mutated?.cluster ?? cluster).resources }),
  };
}

/**
 * A large run on both cores: the second part in a second process (apply-processes.ts), the first
 * here; a signal that stops this one stops the other, and each reports the rows it decided.
 */
async function runSplit(o: ApplyOptions, inputs: ApplyInputs, whole: ApplyCluster, started: number): Promise<ApplyOutcome> {
  o.onPhase?.("starting a second process for half the resources");
  const second = startSecondProcess(o);
  const stop = () => second.stop();
  o.signal?.addEventListener("abort", stop);
  try {
    const mine = await runPart({ ...o, part: { index: 1, count: 2 } }, inputs, whole, started);
    if (mine.status !== "ran") {
      second.stop();
      return mine;
    }
    o.onPhase?.("waiting for the second process");
    const theirs = await second.done;
    if (theirs.status === "invalid" || theirs.status === "internal") return theirs;
    return mergeParts(mine, theirs.status === "ran" ? theirs : undefined, performance.now() - started);
  } finally {
    o.signal?.removeEventListener("abort", stop);
  }
}

/** The mutating phase (admission mode, TypeScript mutations present, not switched off): the mutated cluster and its rows. */
async function mutationPhase(
  o: ApplyOptions,
  cluster: ApplyCluster,
  engines: ApplyEngines,
): Promise<(MutatedCluster & { readonly segments: readonly [number, number] }) | undefined> {
  const m = engines.mutations;
  const docs = engines.documentMutations;
  if ((!m?.compiled.length && !docs?.order.length) || !mutates(o)) return undefined;
  o.onPhase?.(`mutating ${cluster.resources.length} resources`);
  const ts = m?.thread
    ? mutatedFrom(cluster, await m.thread)
    : m?.compiled.length
      ? mutateResources(cluster, m.compiled, m.names, m.runtimes)
      : undefined;
  const yaml = docs?.order.length ? mutateWithDocuments(ts?.cluster ?? cluster, docs) : undefined;
  // Where the TypeScript mutations' rows end, and the YAML documents' (a split run merges each apart).
  if (!yaml) return ts && { ...ts, segments: [ts.rows.length, ts.rows.length] };
  if (!ts) return { ...yaml, segments: [0, yaml.rows.length] };
  return {
    cluster: yaml.cluster,
    rows: [...ts.rows, ...yaml.rows],
    disagreements: ts.disagreements,
    segments: [ts.rows.length, ts.rows.length + yaml.rows.length],
  };
}

/** The cluster with only the shard's resources to check (the cluster itself, what lookups read, is whole). */
function sharded(cluster: ApplyCluster, shard: Shard | undefined): ApplyCluster {
  if (!shard) return cluster;
  const ids = cluster.resources.map((r, i) => `${r.label}\0${i}`);
  const picked = inShard(ids, shard);
  return { ...cluster, resources: cluster.resources.filter((_, i) => picked.has(ids[i]!)) };
}

/**
 * An input document that is not a Kubernetes object (a Helm Chart.yaml in the folder, a file that
 * does not parse): an error row at the document, so the run reports it and goes on with the rest.
 */
function invalidInputRow(issue: Issue, engine: EngineName): ResultRow {
  const file = issue.source?.file ?? issue.file ?? "";
  return {
    policy: INVALID_INPUT,
    rule: "",
    case: file,
    resource: file,
    engine,
    expected: "object",
    actual: "error",
    status: "error",
    messages: [],
    cause: { kind: "error", code: "invalid_input", detail: issue.message },
    ...(file ? { source: file } : {}),
    ...(issue.source ? { resourceLocation: issue.source } : {}),
  };
}

/** The policy name of the rows of input documents that are not Kubernetes objects (no policy can carry a colon). */
export const INVALID_INPUT = "policyc:invalid-input";
/** The policy name of the rows of objects whose pod template no pod policy covers. */
export const NOT_EVALUATED = "policyc:not-evaluated";

/** A Namespace of --namespaces that the inputs also define with other labels: which one would the cluster hold? */
function relabelledNamespaces(inputs: ApplyInputs): Issue[] {
  const labels = (o: KubeObject) => JSON.stringify(Object.entries(o.metadata?.labels ?? {}).sort());
  const given = new Map(
    inputs.resources.filter((r) => r.object.kind === "Namespace" && r.object.apiVersion === "v1").map((r) => [r.object.metadata?.name, r]),
  );
  return inputs.namespaceObjects.flatMap((n) => {
    const other = given.get(n.object.metadata?.name);
    if (!other || labels(other.object) === labels(n.object)) return [];
    const there = other.location ? ` (${other.location.file}:${other.location.line})` : "";
    return [
      resourceIssue(
        n,
        ["metadata", "labels"],
        `--namespaces gives Namespace ${n.object.metadata?.name} other labels than the inputs do${there}; give it once`,
      ),
    ];
  });
}

/** Bad input at a field of an input resource (its key's line), or at the resource. */
function resourceIssue(r: Resource, field: string[], message: string): Issue {
  const at = resourceFieldLocation(r, field);
  return { code: "invalid_fixture", message, severity: "error", ...(at ? { source: at } : { file: r.label }), path: field };
}

/** Objects naming another namespace than --namespace: kubectl apply -n refuses them ("does not match the namespace"). */
function namespaceClashes(inputs: ApplyInputs, o: ApplyOptions): Issue[] {
  if (o.namespace === undefined) return [];
  return inputs.resources.flatMap((r) => {
    const ns = r.object.metadata?.namespace;
    // A cluster-scoped object's namespace is ignored, as the API server ignores it.
    if (!ns || ns === o.namespace || !isNamespaced(r.object)) return [];
    return [
      resourceIssue(
        r,
        ["metadata", "namespace"],
        `the namespace from the object (${ns}) does not match --namespace ${o.namespace}, as kubectl apply -n refuses it`,
      ),
    ];
  });
}

/**
 * A policy filter that chooses nothing is a mistake, never a green run: an --include-policy glob
 * that matches no policy (a typo), or filters that leave no policy at all.
 */
function choiceProblems(o: ApplyOptions, engines: ApplyEngines): Issue[] {
  const names = [
    ...(engines.yaml?.policies.map((p) => [p.name]) ?? []),
    ...engines.compiled.flatMap((p) => p.policy.instances.map((i) => [p.policy.name, instanceName(p.policy.name, i)])),
  ];
  const issue = (message: string): Issue => ({ code: "invalid_path", message, severity: "error", path: [] });
  const known = [...new Set(names.flat())].sort();
  const shown = known.length > 8 ? `${known.slice(0, 8).join(", ")}, …` : known.join(", ");
  const problems = (o.includePolicies ?? [])
    .filter((g) => !known.some((n) => picomatch.isMatch(n, g)))
    .map((g) => issue(`--include-policy ${g} matches no policy (the policies: ${shown})`));
  const chosen = policyChosen(o);
  if (problems.length === 0 && names.length > 0 && !names.some((n) => chosen(...n)))
    problems.push(issue("--include-policy and --exclude-policy leave no policy to apply"));
  return problems;
}

/** Whether a policy (by its name, or its instance's) is one the run applies: --include-policy, --exclude-policy. */
function policyChosen(o: ApplyOptions): (...names: string[]) => boolean {
  const include = o.includePolicies?.length ? picomatch([...o.includePolicies]) : undefined;
  const exclude = o.excludePolicies?.length ? picomatch([...o.excludePolicies]) : undefined;
  return (...names) => (!include || names.some((n) => include(n))) && !(exclude && names.some((n) => exclude(n)));
}

/** The annotation that accepts a finding of a policy on an object, with its reason (kube-linter's ignore-check, for policyc). */
export const IGNORE_ANNOTATION = "ignore.policyc.dev/";

/** The reason an object gives for accepting a policy's findings (by its name, or its instance's); undefined: none. */
function acceptedBecause(object: KubeObject, ...names: string[]): string | undefined {
  const annotations = object.metadata?.annotations ?? {};
  for (const n of names) {
    const reason = annotations[`${IGNORE_ANNOTATION}${n}`];
    if (typeof reason === "string" && reason.trim()) return reason.trim();
  }
  return undefined;
}

/** What the report says besides its rows: what did not apply, and what audit mode cannot see. */
function notesOf(o: ApplyOptions, engines: ApplyEngines, notApplicable: number): string[] {
  const notes: string[] = [];
  const audit = o.mode === "audit";
  if (notApplicable) notes.push(notApplicableNote(notApplicable));
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
async function composeApplyEngines(o: ApplyOptions, inputs: ApplyInputs, cluster: ApplyCluster): Promise<ApplyEngines | Stop> {
  const wanted = o.engines ?? ENGINE_NAMES;
  const mutationFixtures = inputs.policyDocuments.filter((f) => MUTATION_DOCUMENT_KINDS.has(String(f.object.kind)));
  const docs = inputs.policyDocuments.filter((f) => !MUTATION_DOCUMENT_KINDS.has(String(f.object.kind))).map((f) => f.object);
  const start = startApplyRuntimes(o, inputs, docs, mutationFixtures);
  o.onPhase?.("loading policies");
  const loaded = await loadTypeScriptPolicies(o);
  if ("status" in loaded) return loaded;
  const { compiled, mutations } = loaded;
  if (compiled.length === 0 && mutations.length === 0 && docs.length === 0 && mutationFixtures.length === 0)
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
  const names = wanted.filter((e) =>
    e === "gatekeeper" ? runtimes.rego || mutations.length > 0 : e === "reference" ? true : runtimes.cel,
  );
  const mutationThread = mutations.length ? startMutationThread(o, inputs, cluster, { mutations, names, runtimes }) : undefined;
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
  const yamlMutations = documentMutationsOf(mutationFixtures, runtimes, o.cwd);
  if ("status" in yamlMutations) return yamlMutations;
  const withMutations = {
    ...(mutations.length
      ? { mutations: { compiled: mutations, names, runtimes, ...(mutationThread ? { thread: mutationThread } : {}) } }
      : {}),
    ...(yamlMutations.order.length ? { documentMutations: yamlMutations } : {}),
  };
  if (compiled.length === 0) return { ...(yaml ? { yaml } : {}), compiled, policies, ...withMutations };
  // A large run: the second thread composes and evaluates its share while this one does its own
  // (not with mutations: the second thread would read the objects before they are mutated).
  const shares = mutations.length ? undefined : threadShares(o, compiled);
  const thread = shares && startShare(o, inputs, shares[1], names, runtimes, context.now);
  const composed = await composePolicycEngines(shares?.[0] ?? compiled, names, context);
  if (composed.internal.length) return { status: "internal", errors: composed.internal };
  for (const p of compiled) policies[p.policy.name] = policyInfoOf(p.policy);
  return {
    ...(yaml ? { yaml } : {}),
    ts: composed.engines,
    compiled,
    ...(shares ? { here: shares[0], thread: thread! } : {}),
    policies,
    ...withMutations,
  };
}

/** The runtimes the run's policies need, started while the TypeScript policies load. */
function startApplyRuntimes(
  o: ApplyOptions,
  inputs: ApplyInputs,
  docs: readonly KubeObject[],
  mutationFixtures: readonly Fixture[],
): RuntimeStart {
  const ts = o.policies !== undefined ? runtimesNeeded(o.engines ?? ENGINE_NAMES) : { cel: false, rego: false };
  return startRuntimes({
    cel:
      ts.cel ||
      docs.some((d) => d.kind !== "ConstraintTemplate" && !isConstraint(d) && d.kind !== "ExpansionTemplate") ||
      mutationFixtures.some((f) => f.object.kind === "MutatingPolicy" || f.object.kind === "MutatingAdmissionPolicy"),
    rego: ts.rego || docs.some((d) => d.kind === "ConstraintTemplate"),
    // Many evaluations repay V8's optimising compiler (about 1.8x faster CEL once warm); a few do not.
    tier: inputs.resources.length >= OPTIMISE_APPLY_FROM ? "optimising" : "baseline",
  });
}

/** The `--policy` mutation documents on their engines; a document an engine refuses is bad input, located. */
function documentMutationsOf(fixtures: readonly Fixture[], runtimes: Runtimes, cwd: string): DocumentMutations | Stop {
  if (fixtures.length === 0) return { engines: [], order: [] };
  const sets = [{ id: "", documents: fixtures.map((f) => f.object) }];
  const { engines, problems } = composeMutationEngines({ sets, mutations: [] }, ["kubernetes", "kyverno", "gatekeeper"], runtimes, {
    bindUnbound: true,
  });
  if (problems.length) {
    for (const e of engines) e.release();
    return { status: "invalid", errors: uniqueIssues(problems.map((p) => documentProblemIssue(fixtures, p, cwd, "invalid_fixture"))) };
  }
  return { engines, order: documentMutationOrder(fixtures) };
}

/** Whether the run mutates: admission mode, not switched off. */
const mutates = (o: ApplyOptions) => o.mode !== "audit" && o.mutate !== false;

/**
 * Up to this many resources, the TypeScript mutations run on a second thread while this one
 * compiles the validations (apply-mutations.ts, MutationJob): compiling is most of a short run.
 * A longer run gives its second core to a second process instead (apply-processes.ts).
 */
const MUTATE_ON_THREAD_UP_TO = 2000;

/** The second thread mutating this run's resources, when the run is short and has both cores; `POLICYC_THREADS=1` keeps it on one. */
function startMutationThread(
  o: ApplyOptions,
  inputs: ApplyInputs,
  cluster: ApplyCluster,
  m: { mutations: readonly CompiledMutation[]; names: readonly EngineName[]; runtimes: Runtimes },
): Promise<MutatedParts> | undefined {
  const n = cluster.resources.length;
  if (!mutates(o) || !m.runtimes.cel || n === 0 || n > MUTATE_ON_THREAD_UP_TO) return undefined;
  if (process.env["POLICYC_THREADS"] === "1" || os.availableParallelism() < 2) return undefined;
  // The thread finds the resources by label: every input's must be its own.
  if (new Set(inputs.resources.map((r) => r.label)).size !== inputs.resources.length) return undefined;
  const thread = CaseThread.start();
  thread.adoptCel(m.runtimes.cel.module);
  const { onPhase: _phase, onProgress: _progress, stdin: _stdin, signal: _signal, ...options } = o;
  const job = {
    options,
    inputs,
    labels: cluster.resources.map((r) => r.label),
    mutations: m.mutations,
    names: m.names,
    cacheDir: m.runtimes.cacheDir,
  };
  const done = thread.mutate(job);
  void done.then(
    () => thread.close(),
    () => thread.close(),
  );
  return done;
}

/** Starts the second thread on its share; it ends with its answer. */
function startShare(
  o: ApplyOptions,
  inputs: ApplyInputs,
  compiled: readonly CompiledPolicy[],
  names: readonly EngineName[],
  runtimes: Runtimes,
  now: number | undefined,
): Promise<ApplyShareResult> {
  const thread = CaseThread.start();
  if (runtimes.cel) thread.adoptCel(runtimes.cel.module);
  const { onPhase: _phase, onProgress: _progress, stdin: _stdin, signal: _signal, ...options } = o;
  const share: ApplyShare = { options, inputs, compiled, names, cacheDir: runtimes.cacheDir, ...(now !== undefined ? { now } : {}) };
  return thread.apply(share).finally(() => void thread.close());
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
async function loadTypeScriptPolicies(o: ApplyOptions): Promise<{ compiled: CompiledPolicy[]; mutations: CompiledMutation[] } | Stop> {
  if (o.policies === undefined) return { compiled: [], mutations: [] };
  const dir = path.resolve(o.cwd, o.policies);
  if (!existsSync(dir) || findPolicyFiles(dir).length === 0)
    return { status: "invalid", errors: [inputIssue("invalid_path", "holds no policy files (--policies)", o.policies)] };
  const built = await buildInMemory(o.cwd, dir, o.loadTimeoutMs);
  if (built.status === "invalid" || built.status === "internal") return { status: built.status, errors: built.issues };
  return { compiled: [...built.compiled], mutations: [...(built.mutations ?? [])] };
}

/** One resource against the YAML policies of `--policy`: their rows, and how many did not apply or were evaluated. */
function evaluateYamlPolicies(
  yaml: DocumentEngines,
  r: Resource,
  request: AdmissionRequest,
  c: {
    chosen: (...names: string[]) => boolean;
    options: { audit: boolean; timeoutMs: number };
    inputs: ApplyInputs;
    row: (base: RowBase, v: Verdict) => ResultRow;
    cwd: string;
  },
): { rows: ResultRow[]; notApplicable: number; sent: number } {
  const rows: ResultRow[] = [];
  let notApplicable = 0;
  let sent = 0;
  for (const p of yaml.policies) {
    if (!c.chosen(p.name)) continue;
    const source = c.inputs.policyDocuments[p.document]?.location;
    const accepted = acceptedBecause(r.object, p.name);
    if (accepted !== undefined) {
      rows.push(acceptedRow(rowBase(r, p.name, p.engine, source), p.name, accepted));
      continue;
    }
    const started = performance.now();
    sent++;
    const v = yaml.evaluate(p, request, c.options);
    const durationMs = performance.now() - started;
    if (v.kind === "skip") notApplicable++;
    else rows.push(...atField(r, [v], [c.row({ ...rowBase(r, p.name, p.engine, source), durationMs }, v)], c.cwd));
  }
  return { rows, notApplicable, sent };
}

/** Every resource against every policy: the rows, and what did not apply. */
async function evaluateResources(
  o: ApplyShare["options"] & Pick<ApplyOptions, "onProgress" | "signal">,
  cluster: ApplyCluster,
  engines: ApplyEngines,
  inputs: ApplyInputs,
  /** Whether this thread reports objects no pod policy covers (the main thread's rows only). */
  coverage = true,
): Promise<ApplyShareResult> {
  const audit = o.mode === "audit";
  const failOn = o.failOn ?? [];
  const options = { audit, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const rows: ResultRow[] = [];
  let disagreements = 0;
  let notApplicable = 0;
  // Policy/resource pairs sent to an engine: none at all means no policy applies to any input.
  let sent = 0;
  const row = (base: RowBase, v: Verdict): ResultRow =>
    verdictRow(base, v, { status: statusOf(v, failOn), ...(base.engine === "kyverno" ? { messages: reportedMessagesOf(v) } : {}) });
  const chosen = policyChosen(o);
  const admitted = new Map(engines.compiled.map((p) => [p, admittedKinds(p.policy)]));
  const uncovered = coverage ? podCoverage(engines, chosen, admitted) : () => undefined;
  const ends: number[] = [];
  for (const [i, r] of cluster.resources.entries()) {
    // A signal (SIGINT, SIGTERM: a CI job's timeout) stops the run between resources; the loop
    // lets its handler run now and then, and the rows decided so far are reported.
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    if (o.signal?.aborted) return { rows, ends, disagreements, notApplicable, sent, stoppedAt: i };
    const request = cluster.request(r.object);
    const notCovered = uncovered(r);
    if (notCovered) rows.push(notCovered);
    if (engines.yaml) {
      const y = evaluateYamlPolicies(engines.yaml, r, request, { chosen, options, inputs, row, cwd: o.cwd });
      rows.push(...y.rows);
      notApplicable += y.notApplicable;
      sent += y.sent;
    }
    const { group, kind } = { group: groupVersionOf(r.object.apiVersion).group, kind: r.object.kind };
    for (const p of engines.here ?? engines.compiled) {
      // Background scans never see admission-only policies (old object, operation, user).
      if (audit && isAdmissionOnly(p.policy)) {
        notApplicable++;
        continue;
      }
      // A policy no engine could match (another kind: a CRD, a ConfigMap for a Pod policy) is not
      // sent to any: matching narrows by kind before the engines (a large CRD costs nothing).
      if (!admitted.get(p)!.some((k) => k.group === group && k.kind === kind)) {
        notApplicable += p.policy.instances.length;
        continue;
      }
      for (const inst of p.policy.instances) {
        const name = instanceName(p.policy.name, inst);
        if (!chosen(p.policy.name, name)) continue;
        const accepted = acceptedBecause(r.object, name, p.policy.name);
        if (accepted !== undefined) {
          rows.push(acceptedRow(rowBase(r, name, engines.ts!.names[0] ?? "reference", p.policy.source), name, accepted));
          continue;
        }
        sent++;
        const answers = engines.ts!.evaluate(p, inst, request, { audit });
        const ms = new Map(answers.map((a) => [a.engine, "ms" in a ? a.ms : undefined]));
        const judged = judgeAnswers(answers, (engine, v) =>
          row({ ...rowBase(r, name, engine, p.policy.source), durationMs: ms.get(engine) ?? 0 }, v),
        );
        if (judged.rows.length === 0) notApplicable++;
        if (judged.disagreed) disagreements++;
        rows.push(
          ...atField(
            r,
            answers.flatMap((a) => ("verdict" in a ? [a.verdict] : [])),
            judged.rows,
            o.cwd,
          ),
        );
      }
    }
    ends.push(rows.length);
    o.onProgress?.(i + 1, cluster.resources.length);
  }
  return { rows, ends, disagreements, notApplicable, sent };
}

/** How many resources `apply` evaluates between two turns of the event loop (where a signal's handler runs). */
const YIELD_EVERY = 16;

/**
 * The row of an object whose pod template the chosen pod policies do not cover (a
 * ReplicationController, a DaemonSet of a removed API version): reported, never passed in silence.
 */
function podCoverage(
  engines: ApplyEngines,
  chosen: (policy: string) => boolean,
  admitted: ReadonlyMap<CompiledPolicy, readonly { group: string; kind: string }[]>,
): (r: Resource) => ResultRow | undefined {
  const podPolicies = engines.compiled.filter(
    (p) => chosen(p.policy.name) && admitted.get(p)!.some((k) => k.group === "" && k.kind === "Pod"),
  );
  const engine = engines.ts?.names[0] ?? "reference";
  return (r) => {
    const detail = podPolicies.length > 0 ? uncoveredPodTemplate(r.object, podPolicies, admitted) : undefined;
    return detail ? notEvaluatedRow(rowBase(r, NOT_EVALUATED, engine), detail) : undefined;
  };
}

/**
 * The kinds pod policies cover (Pods and the pod controllers of kube/pod-controllers.ts, Kyverno's
 * autogen set), with the API version each is served at and where its pod spec sits.
 */
const POD_KINDS: readonly { readonly kind: string; readonly apiVersion: string; readonly spec: readonly string[] }[] = [
  { kind: "Pod", apiVersion: apiVersionOf(BUILTIN_KINDS.Pod), spec: ["spec"] },
  ...POD_CONTROLLERS.map((c) => ({ kind: c.kind.kind, apiVersion: apiVersionOf(c.kind), spec: [...c.template, "spec"] })),
];

/**
 * Why an object's pod template escapes every pod policy, if it does: it carries containers where
 * a pod spec sits and no pod policy admits its group and kind.
 */
function uncoveredPodTemplate(
  o: KubeObject,
  podPolicies: readonly CompiledPolicy[],
  admitted: ReadonlyMap<CompiledPolicy, readonly { group: string; kind: string }[]>,
): string | undefined {
  const at = (path: readonly string[]) =>
    path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
  const known = POD_KINDS.find((k) => k.kind === o.kind);
  const specs = known ? [known.spec] : POD_KINDS.slice(1).map((k) => k.spec);
  if (!specs.some((p) => Array.isArray(at([...p, "containers"])))) return undefined;
  // A served version of a pod kind: the policies chose whether to cover it (autogen off is a choice).
  if (known?.apiVersion === o.apiVersion) return undefined;
  const { group } = groupVersionOf(o.apiVersion);
  if (podPolicies.some((p) => admitted.get(p)!.some((k) => k.group === group && k.kind === o.kind))) return undefined;
  const kind = String(o.kind);
  return known
    ? `not evaluated: ${o.apiVersion} is not an API version of ${kind} that pod policies read (${known.apiVersion}); the API server no longer serves it, so the pod policies never saw this pod template`
    : `not evaluated: ${o.apiVersion} ${kind} holds a pod template, and no pod policy covers ${kind} (they cover Pods and their controllers: ${POD_CONTROLLERS.map((c) => c.kind.kind).join(", ")})`;
}

function notEvaluatedRow(base: RowBase, detail: string): ResultRow {
  return { ...base, rule: "", actual: "error", status: "error", messages: [], cause: { kind: "error", code: "not_evaluated", detail } };
}

/**
 * The denying rows of one policy on one resource, pointed at the field the violation is about (the
 * first an engine names: the reference engine names them for TypeScript policies), located in
 * the resource's file; rows that do not deny, or whose engines name no field, keep the resource's start.
 */
function atField(r: Resource, verdicts: readonly Verdict[], rows: readonly ResultRow[], cwd: string): ResultRow[] {
  const field = verdicts.flatMap((v) => (v.kind === "deny" ? v.violations : [])).find((x) => x.field)?.field;
  if (!field) return [...rows];
  const at = resourceFieldLocation(r, field, cwd);
  const text = fieldText(field);
  return rows.map((row) => (row.actual === "deny" ? { ...row, field: text, ...(at ? { fieldLocation: at } : {}) } : row));
}

/** A field path as Kubernetes writes one: `spec.containers[1].image`, `metadata.labels['app.kubernetes.io/name']`. */
export function fieldText(path: readonly (string | number)[]): string {
  return path
    .map((seg, i) =>
      typeof seg === "number"
        ? `[${seg}]`
        : /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)
          ? `${i ? "." : ""}${seg}`
          : `['${seg.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`,
    )
    .join("");
}

/** A finding the object accepts by annotation: reported as skipped, with the reason, never silent. */
function acceptedRow(base: RowBase, policy: string, reason: string): ResultRow {
  return {
    ...base,
    rule: "",
    actual: "none",
    status: "skip",
    messages: [],
    cause: { kind: "skipped", code: "exception", detail: `accepted by the object's annotation ${IGNORE_ANNOTATION}${policy}: ${reason}` },
  };
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
