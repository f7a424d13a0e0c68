/**
 * `apply`'s mutating phase: admission mutates, then validates. Every resource goes through the
 * TypeScript mutations (in name order, each instance on every engine whose target the mutation
 * has); the validations that follow read the mutated object. What each mutation changed is a row
 * (its structural diff as the row's messages); engines whose results differ are a disagreement
 * (rows that fail, the validations then reading the reference engine's object); an engine that
 * could not apply a mutation is an error row. Background scans (`--mode audit`) see objects as
 * stored, already mutated: nothing is mutated then.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CompiledMutation } from "../build/index.js";
import { documentYaml } from "../emit/index.js";
import type { EngineName, MutationAnswer, MutationEngine } from "../engines/index.js";
import { instanceName } from "../ir/index.js";
import { groupVersionOf, type KubeObject } from "../kube/index.js";
import {
  APPLY_LIMITS,
  clusterOf,
  resourceName,
  type ApplyCluster,
  type ApplyInputs,
  type ClusterOptions,
  type Resource,
} from "./apply-inputs.js";
import type { Fixture } from "./fixtures.js";
import {
  canonicalJson,
  compareMutations,
  composeMutationEngines,
  mutateOnEngines,
  mutationActual,
  shownAnswer,
  type Runtimes,
} from "./compose.js";
import { objectDiff, withoutNulls } from "./mutation-cases.js";
import type { ResultRow } from "./report.js";

export interface MutatedCluster {
  /** The cluster whose resources are the mutated objects. */
  readonly cluster: ApplyCluster;
  readonly rows: ResultRow[];
  readonly disagreements: number;
}

/** The mutation instances, in name order (the order they apply in). */
function instancesOf(mutations: readonly CompiledMutation[]) {
  return mutations
    .flatMap((cm) => cm.mutation.instances.map((inst) => ({ cm, name: instanceName(cm.mutation.name, inst) })))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One resource through every mutation: the object after them, and the rows of what changed. */
function mutateOne(
  r: Resource,
  cluster: ApplyCluster,
  order: ReturnType<typeof instancesOf>,
  engines: readonly MutationEngine[],
): { object: KubeObject; rows: ResultRow[]; disagreements: number } {
  // Matching narrows by kind before the engines: a kind no mutation admits is not sent to any.
  const { group } = groupVersionOf(r.object.apiVersion);
  const admitting = order.filter(({ cm }) => cm.mutation.match.kinds.some((k) => k.group === group && k.kind === r.object.kind));
  if (admitting.length === 0) return { object: r.object, rows: [], disagreements: 0 };
  let object = withoutNulls(r.object);
  const rows: ResultRow[] = [];
  let disagreements = 0;
  let changed = false;
  for (const { cm, name } of admitting) {
    const request = cluster.request(object);
    const answers = mutateOnEngines(engines, cm.mutation, { policy: name, admission: request });
    const disagreed = compareMutations(answers);
    if (disagreed) disagreements++;
    const referee = answers.find((a) => a.engine === "reference")?.answer;
    for (const a of answers) {
      const actual = mutationActual(a.answer, object);
      const differs = disagreed && referee !== undefined && canonicalJson(a.answer) !== canonicalJson(referee);
      if (actual !== "mutated" && actual !== "error" && !differs) continue;
      rows.push(
        rowOf(
          r,
          name,
          cm,
          a.engine,
          actual,
          a.answer,
          object,
          differs ? objectDiff(shownAnswer(referee), shownAnswer(a.answer)) : undefined,
        ),
      );
    }
    // The validations read the object the engines agree on (the reference engine's, when they do not).
    const next = (referee ?? answers.find((a) => a.answer.kind === "mutated")?.answer) as MutationAnswer | undefined;
    if (next?.kind === "mutated") {
      object = next.object as KubeObject;
      changed = true;
    }
  }
  // An object no mutation changed is validated as read (not a copy: memory stays one object each).
  return { object: changed ? object : r.object, rows, disagreements };
}

function rowOf(
  r: Resource,
  policy: string,
  cm: CompiledMutation | undefined,
  engine: EngineName,
  actual: ReturnType<typeof mutationActual>,
  answer: MutationAnswer,
  before: KubeObject,
  disagreement: string[] | undefined,
): ResultRow {
  const o = r.object;
  const subject = {
    apiVersion: String(o.apiVersion ?? ""),
    kind: String(o.kind ?? ""),
    name: String(o.metadata?.name ?? ""),
    ...(o.metadata?.namespace ? { namespace: String(o.metadata.namespace) } : {}),
  };
  return {
    policy,
    rule: "mutation",
    case: r.label,
    resource: resourceName(o),
    engine,
    expected: "mutation",
    actual,
    status: disagreement ? "fail" : actual === "error" ? "error" : "pass",
    messages: answer.kind === "mutated" ? objectDiff(before, answer.object) : answer.kind === "error" ? [answer.message] : [],
    ...(disagreement
      ? {
          cause: {
            kind: "disagreement" as const,
            verdicts: { [engine]: actual },
            mismatch: `${engine} vs reference:\n${disagreement.join("\n")}`,
          },
        }
      : answer.kind === "error"
        ? { cause: { kind: "error" as const, code: "evaluation_error" as const, detail: answer.message } }
        : {}),
    ...(r.location ? { source: r.location.file, resourceLocation: r.location } : {}),
    ...(cm ? { location: cm.mutation.source } : {}),
    subject,
  };
}

/** Every resource of the cluster through the mutations, on the engines of `names` whose runtime is here. */
export function mutateResources(
  cluster: ApplyCluster,
  mutations: readonly CompiledMutation[],
  names: readonly EngineName[],
  runtimes: Runtimes,
): MutatedCluster {
  if (mutations.length === 0) return { cluster, rows: [], disagreements: 0 };
  const sets = [{ id: "", documents: mutations.flatMap((m) => m.outputs.flatMap((o) => o.documents as KubeObject[])) }];
  const { engines, problems } = composeMutationEngines({ sets, mutations: mutations.map((m) => m.mutation) }, names, runtimes);
  try {
    if (problems.length)
      throw new Error(`the ${problems[0]!.engine} engine refused a generated mutation document: ${problems[0]!.message}`);
    const order = instancesOf(mutations);
    const rows: ResultRow[] = [];
    let disagreements = 0;
    const resources = cluster.resources.map((r) => {
      const m = mutateOne(r, cluster, order, engines);
      rows.push(...m.rows);
      disagreements += m.disagreements;
      return m.object === r.object ? r : { ...r, object: m.object };
    });
    return { cluster: { ...cluster, resources }, rows, disagreements };
  } finally {
    for (const e of engines) e.release();
  }
}

/**
 * The TypeScript mutations of a short run, done on the second thread while this one compiles the
 * validations: both compiles are CEL, single-threaded WebAssembly each, and neither needs the
 * other until the validations read the mutated objects. The thread builds the same cluster from
 * the inputs and mutates the resources named by `labels` (this run's, in order).
 */
export interface MutationJob {
  readonly options: ClusterOptions;
  readonly inputs: ApplyInputs;
  readonly labels: readonly string[];
  readonly mutations: readonly CompiledMutation[];
  readonly names: readonly EngineName[];
  readonly cacheDir: string | undefined;
}

/** What the thread answers: each resource's mutated object (null: unchanged), the rows, the disagreements. */
export interface MutatedParts {
  readonly objects: readonly (KubeObject | null)[];
  readonly rows: ResultRow[];
  readonly disagreements: number;
}

/** The thread's side of a MutationJob. */
export function mutateJob(job: MutationJob, runtimes: Runtimes): MutatedParts {
  const all = clusterOf(job.inputs, job.options);
  const byLabel = new Map(all.resources.map((r) => [r.label, r]));
  const cluster = { ...all, resources: job.labels.map((l) => byLabel.get(l)!) };
  const m = mutateResources(cluster, job.mutations, job.names, runtimes);
  return {
    objects: m.cluster.resources.map((r, i) => (r === cluster.resources[i] ? null : r.object)),
    rows: m.rows,
    disagreements: m.disagreements,
  };
}

/** This thread's cluster with the thread's answer applied. */
export function mutatedFrom(cluster: ApplyCluster, parts: MutatedParts): MutatedCluster {
  const resources = cluster.resources.map((r, i) => {
    const object = parts.objects[i];
    return object ? { ...r, object } : r;
  });
  return { cluster: { ...cluster, resources }, rows: parts.rows, disagreements: parts.disagreements };
}

/**
 * The resources as manifests, grouped by the file each was read from (its path relative to the
 * working folder; standard input is `stdin.yaml`), in input order: what `--mutate-out` writes.
 */
export function mutatedManifests(resources: readonly Resource[], cwd: string): { file: string; text: string }[] {
  const byFile = new Map<string, string[]>();
  for (const r of resources) {
    const from = r.origin?.file ?? r.label.replace(/#\d+$/, "");
    let rel = from === "<stdin>" || from === "-" ? "stdin.yaml" : path.relative(cwd, path.resolve(cwd, from));
    if (rel.startsWith("..") || path.isAbsolute(rel)) rel = path.basename(from);
    const docs = byFile.get(rel) ?? [];
    docs.push(`---\n${documentYaml(r.object)}`);
    byFile.set(rel, docs);
  }
  return [...byFile].map(([file, docs]) => ({ file, text: docs.join("") }));
}

/** Writes the mutated manifests under `dir` (created), each file at its input's relative path. */
export function writeMutatedManifests(dir: string, manifests: readonly { file: string; text: string }[]): void {
  for (const m of manifests) {
    const to = path.join(dir, m.file);
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, m.text);
  }
}

/** The mutation documents of `--policy` (MutatingAdmissionPolicies, Kyverno MutatingPolicies, Gatekeeper mutators), composed. */
export interface DocumentMutations {
  readonly engines: readonly MutationEngine[];
  /** In the order they apply: MutatingAdmissionPolicies by name, then MutatingPolicies by name, then Gatekeeper's mutators together. */
  readonly order: readonly { readonly name: string; readonly engine: EngineName; readonly doc: Fixture }[];
}

const ENGINE_OF: Readonly<Record<string, EngineName>> = {
  MutatingAdmissionPolicy: "kubernetes",
  MutatingPolicy: "kyverno",
  Assign: "gatekeeper",
  AssignMetadata: "gatekeeper",
  ModifySet: "gatekeeper",
  AssignImage: "gatekeeper",
};

/** The order YAML mutation documents apply in, one entry per policy (Gatekeeper's mutators: one, `*`). */
export function documentMutationOrder(docs: readonly Fixture[]): DocumentMutations["order"] {
  const rank: Record<string, number> = { kubernetes: 0, kyverno: 1, gatekeeper: 2 };
  const out: { name: string; engine: EngineName; doc: Fixture }[] = [];
  for (const doc of docs) {
    const engine = ENGINE_OF[String(doc.object.kind)];
    if (!engine) continue;
    const name = engine === "gatekeeper" ? "*" : String(doc.object.metadata?.name ?? "");
    if (!out.some((o) => o.engine === engine && o.name === name)) out.push({ name, engine, doc });
  }
  return out.sort((a, b) => rank[a.engine]! - rank[b.engine]! || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A mutated object this large is refused: a user's mutation that explodes is stopped, not followed. */
const MAX_MUTATED_BYTES = APPLY_LIMITS.documentBytes;

/** Every resource through the `--policy` mutation documents: each on its own engine (no second opinion, as for YAML validations). */
export function mutateWithDocuments(cluster: ApplyCluster, m: DocumentMutations): MutatedCluster {
  const rows: ResultRow[] = [];
  const resources = cluster.resources.map((r) => {
    let object = withoutNulls(r.object);
    for (const { name, engine, doc } of m.order) {
      const e = m.engines.find((x) => x.name === engine)!;
      const shownName = name === "*" ? "gatekeeper-mutators" : name;
      let answer = e.mutate({ policy: name, admission: cluster.request(object) });
      if (answer.kind === "mutated" && JSON.stringify(answer.object).length > MAX_MUTATED_BYTES)
        answer = { kind: "error", message: `the mutation grew ${resourceName(object)} past ${MAX_MUTATED_BYTES} bytes: stopped` };
      // An error names the document it comes from (apply's rows are located at the resource).
      const at = doc.location ? `${doc.location.file}:${doc.location.line}` : doc.label;
      if (answer.kind === "error")
        answer = { kind: "error", message: `${String(doc.object.kind)} ${shownName} (${at}): ${answer.message}` };
      const actual = mutationActual(answer, object);
      if (actual === "mutated" || actual === "error") {
        const row = rowOf(r, shownName, undefined, engine, actual, answer, object, undefined);
        rows.push({ ...row, source: doc.location?.file ?? doc.label, ...(doc.location ? { location: doc.location } : {}) });
      }
      if (answer.kind === "mutated") object = answer.object as KubeObject;
    }
    return object === r.object ? r : { ...r, object };
  });
  return { cluster: { ...cluster, resources }, rows, disagreements: 0 };
}
