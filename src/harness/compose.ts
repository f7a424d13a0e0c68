/**
 * The one place engines are built for a run, and the one rule for when they disagree.
 *
 * Every command composes its engines here: `policyc test` and the second case thread, `apply`
 * (TypeScript and YAML policies), Kyverno test folders, gator suites and `policyc/testing`. An
 * engine is described once, in the registry below: the runtime it runs on, the target whose
 * documents it reads for policyc's own policies (or the IR), and which existing YAML documents are
 * policies it evaluates. Two compositions read the registry:
 * - `composePolicycEngines`: policyc's compiled policies; every engine evaluates every policy
 *   instance under the same name, and their verdicts are compared (`compareAnswers`);
 * - `composeDocumentEngines`: existing YAML documents in sets (a suite, a `--policy` folder);
 *   each policy document belongs to the one engine that reads it.
 */
import {
  ENGINE_NAMES,
  failure,
  GatekeeperEngine,
  GatekeeperMutationEngine,
  KubernetesEngine,
  KubernetesMutationEngine,
  KyvernoEngine,
  KyvernoMutationEngine,
  POLICY_KINDS,
  qualifiedName,
  ReferenceEngine,
  ReferenceMutationEngine,
  type CelRuntime,
  type DocumentSet,
  type MutationAnswer,
  type MutationEngine,
  type Engine,
  type EngineName,
  type EngineRequest,
  type EvaluateOptions,
  type GatekeeperDocuments,
  type Prepared,
  type RegoCompiler,
  type SetProblem,
  type Verdict,
} from "../engines/index.js";
import { toGatekeeperReview } from "../backends/index.js";
import type { CompiledPolicy } from "../build/index.js";
import { instanceName, type Instance, type Issue, type Mutation, type Policy, type TargetName } from "../ir/index.js";
import type { AdmissionRequest, KubeObject } from "../kube/index.js";

/** The runtimes engines run on, started by the command (runtimes.ts); an engine whose runtime is absent is not composed. */
export interface Runtimes {
  readonly cel?: CelRuntime;
  readonly rego?: RegoCompiler;
  /** Where compiled Rego is cached (content hash); undefined: no cache. */
  readonly cacheDir?: string | undefined;
}

export interface ComposeContext {
  readonly runtimes: Runtimes;
  /**
   * Admission's clock: Kyverno leaves out PolicyExceptions whose `expiresAt` is before it. Unset,
   * they apply (Kyverno's CLI and background scans do not read expiresAt: kyverno#17473).
   */
  readonly now?: number;
  /** Bind ValidatingAdmissionPolicies that have no binding with Deny, as the Kyverno CLI does. */
  readonly bindUnbound?: boolean;
}

/** What an engine reads: document sets (its target's documents), and the IR for the reference engine. */
export interface EngineInput {
  readonly sets: readonly GatekeeperDocuments[];
  readonly policies: readonly Policy[];
}

/** How one engine is made for a run. */
export interface EngineKind {
  readonly name: EngineName;
  readonly runtime: "cel" | "rego" | "none";
  /** The target whose documents it reads for policyc's own policies; `ir`: the lowered policies themselves. */
  readonly target: TargetName | "ir";
  /** The name an existing YAML document is evaluated under, when it is a policy this engine evaluates. */
  policyName(doc: KubeObject): string | undefined;
  prepare(input: EngineInput, context: ComposeContext): Promise<Prepared>;
}

const isConstraint = (d: KubeObject) => typeof d.apiVersion === "string" && d.apiVersion.startsWith("constraints.gatekeeper.sh/");

const BUILT_IN: readonly EngineKind[] = [
  {
    name: "kyverno",
    runtime: "cel",
    target: "kyverno",
    policyName: (d) => ((POLICY_KINDS as readonly string[]).includes(String(d.kind)) ? qualifiedName(d) : undefined),
    prepare: async (input, c) =>
      KyvernoEngine.prepare(input.sets, { runtime: c.runtimes.cel!, ...(c.now !== undefined ? { now: c.now } : {}) }),
  },
  {
    name: "kubernetes",
    runtime: "cel",
    target: "kubernetes",
    policyName: (d) => (d.kind === "ValidatingAdmissionPolicy" ? String(d.metadata?.name ?? "") : undefined),
    prepare: async (input, c) => KubernetesEngine.prepare(input.sets, { runtime: c.runtimes.cel!, bindUnbound: c.bindUnbound === true }),
  },
  {
    name: "gatekeeper",
    runtime: "rego",
    target: "gatekeeper",
    policyName: (d) => (isConstraint(d) ? String(d.metadata?.name ?? "") : undefined),
    prepare: (input, c) => GatekeeperEngine.prepare(input.sets, { compiler: c.runtimes.rego!, cacheDir: c.runtimes.cacheDir }),
  },
  {
    name: "reference",
    runtime: "none",
    target: "ir",
    policyName: () => undefined,
    prepare: async (input) => ReferenceEngine.prepare(input.policies),
  },
];

const KINDS = new Map<EngineName, EngineKind>(BUILT_IN.map((k) => [k.name, k]));

/** The engine registered under a name. */
export const engineKind = (name: EngineName): EngineKind => KINDS.get(name)!;

/**
 * Replaces the engine of a name for every command (tests register a recording engine this way),
 * returning what restores the one before.
 */
export function registerEngineKind(kind: EngineKind): () => void {
  const before = KINDS.get(kind.name);
  KINDS.set(kind.name, kind);
  return () => {
    if (before) KINDS.set(kind.name, before);
    else KINDS.delete(kind.name);
  };
}

/** The engine kinds of these names, in report order, whose runtime the context has. */
function kindsFor(names: readonly EngineName[], runtimes: Runtimes): EngineKind[] {
  return ENGINE_NAMES.filter((n) => names.includes(n))
    .map((n) => KINDS.get(n)!)
    .filter((k) => k.runtime === "none" || (k.runtime === "cel" ? runtimes.cel : runtimes.rego) !== undefined);
}

/** Which runtimes engines of these names need. */
export function runtimesNeeded(names: readonly EngineName[]): { cel: boolean; rego: boolean } {
  const kinds = names.map((n) => KINDS.get(n)!);
  return { cel: kinds.some((k) => k.runtime === "cel"), rego: kinds.some((k) => k.runtime === "rego") };
}

// ------------------------------------------------------------------ the disagreement rule

/** One engine's answer for a request: its verdict, or the target the policy opted out of. */
export type EngineAnswer =
  | { readonly engine: EngineName; readonly verdict: Verdict; /** How long the evaluation took. */ readonly ms?: number }
  | { readonly engine: EngineName; readonly optedOut: string };

export interface Comparison {
  /** Engines that decided gave different verdicts, or reported a message the reference engine did not. */
  readonly disagreed: boolean;
  /** What each engine said (`allow`, `deny`, `none`, `error`), for the report. */
  readonly verdicts: Readonly<Partial<Record<EngineName, string>>>;
  /** When the verdicts agree but the messages do not: which engine reported which message the referee did not. */
  readonly messages?: string;
}

/** The verdict as reports name it: allow, deny, none (did not apply) or error. */
export const actualOf = (v: Verdict): "allow" | "deny" | "none" | "error" => (v.kind === "skip" ? "none" : v.kind);

/**
 * The one rule for when engines disagree, for every command: engines disagree when the kinds of
 * their verdicts (allow, deny, skip) differ. Left out, and why:
 * - errors: an engine that could not decide is reported on its own row, as an error; it is no
 *   second opinion to compare;
 * - a target the policy opts out of: that engine gave no verdict;
 * - `not_evaluated` skips: the engine does not evaluate the policy in this mode by design (Kyverno's
 *   background scan and a policy with background disabled), so its silence says nothing.
 * When every engine denies, their messages count too: each message an engine reports must be one
 * the reference engine (the referee, which reads the IR) reports. Engines may report fewer (the CEL
 * targets report each rule's first offending element, Kyverno a rule's first failing validation),
 * never other text: a target that rewrote a message would tell its users something else.
 */
export function compareAnswers(answers: readonly EngineAnswer[]): Comparison {
  const verdicts: Partial<Record<EngineName, string>> = {};
  const kinds = new Set<string>();
  for (const a of answers) {
    if (!("verdict" in a)) continue;
    verdicts[a.engine] = actualOf(a.verdict);
    if (a.verdict.kind === "error" || (a.verdict.kind === "skip" && a.verdict.cause.code === "not_evaluated")) continue;
    kinds.add(a.verdict.kind);
  }
  if (kinds.size > 1) return { disagreed: true, verdicts };
  const messages = kinds.has("deny") ? messageDifference(answers) : undefined;
  return { disagreed: messages !== undefined, verdicts, ...(messages ? { messages } : {}) };
}

/** The first message an engine reports that the reference engine does not, described; undefined when there is none. */
function messageDifference(answers: readonly EngineAnswer[]): string | undefined {
  const referee = answers.find((a) => a.engine === "reference" && "verdict" in a);
  if (!referee || !("verdict" in referee) || referee.verdict.kind !== "deny") return undefined;
  const known = new Set(referee.verdict.violations.map((v) => v.message));
  for (const a of answers) {
    if (!("verdict" in a) || a.verdict.kind !== "deny" || a === referee) continue;
    const other = a.verdict.violations.find((v) => !known.has(v.message));
    if (other) return `${a.engine} reports ${JSON.stringify(other.message)}, which the reference engine does not`;
  }
  return undefined;
}

// ------------------------------------------------------------------ policyc's own policies

export interface PolicycEngines {
  readonly names: readonly EngineName[];
  /**
   * Every engine's answer for one policy instance. `audit`: as background scans review existing
   * objects (Gatekeeper's audit: no operation, no user; Kyverno's background scan skips
   * admission-only policies). The request of an audit has no user, as a background scan's has none.
   */
  evaluate(
    policy: CompiledPolicy,
    instance: Instance,
    req: AdmissionRequest,
    options?: EvaluateOptions,
    /** Only these engines (default: all of them). */
    only?: readonly EngineName[],
  ): EngineAnswer[];
  /** Frees compiled policies in the CEL runtime (long runs such as the fuzzer). */
  release(): void;
}

/** A target's documents of every policy, with which policy each came from. */
function documentsOf(policies: readonly CompiledPolicy[], target: TargetName) {
  const documents: KubeObject[] = [];
  const owners: CompiledPolicy[] = [];
  for (const p of policies)
    for (const out of p.outputs) {
      if (out.target !== target) continue;
      for (const d of out.documents) {
        documents.push(d as unknown as KubeObject);
        owners.push(p);
      }
    }
  return { documents, owners };
}

/** policyc generated a document its engine rejects: policyc's bug (exit 3), naming the policy. */
function generatedCodeIssue(p: CompiledPolicy | undefined, kind: EngineKind, problem: SetProblem): Issue {
  const language = kind.runtime === "rego" ? "Rego" : "CEL";
  const where = problem.field.length ? ` at ${problem.field.join(".")}` : "";
  return {
    code: "generated_code_error",
    message: `policyc generated ${language} for ${kind.name} that does not compile (a policyc bug; please report it)${where}: ${problem.message}`,
    severity: "error",
    ...(p ? { source: p.policy.source } : {}),
    path: [],
  };
}

/**
 * The order engines are prepared in (reports keep ENGINE_NAMES' order): the Kubernetes engine
 * before Kyverno's, so that Kyverno's compile of the same CEL reuses the validator the stricter
 * Kubernetes environment compiled, and the two evaluate it once per request (go/cel/policy).
 */
function inPreparationOrder(kinds: readonly EngineKind[]): EngineKind[] {
  const rank = (k: EngineKind) => (k.name === "kubernetes" ? 0 : 1);
  return [...kinds].sort((a, b) => rank(a) - rank(b));
}

/**
 * The named engines, prepared for policyc's policies: each reads its target's documents (the
 * reference engine, the IR). A document an engine rejects is policyc's bug (`internal`, exit 3).
 */
export async function composePolicycEngines(
  policies: readonly CompiledPolicy[],
  names: readonly EngineName[],
  context: ComposeContext,
): Promise<{ engines: PolicycEngines; internal: Issue[]; stats?: { compiled: number; cached: number } }> {
  const internal: Issue[] = [];
  const prepared: { kind: EngineKind; engine: Engine }[] = [];
  const kinds = kindsFor(names, context.runtimes);
  for (const kind of inPreparationOrder(kinds)) {
    const target = kind.target;
    const { documents, owners } = target === "ir" ? { documents: [], owners: [] } : documentsOf(policies, target);
    const reviews =
      target === "gatekeeper" ? policies.filter((p) => p.policy.targets.gatekeeper.enabled).map((p) => toGatekeeperReview(p.policy)) : [];
    const input = { sets: [{ id: "", documents, reviews }], policies: policies.map((p) => p.policy) };
    const p = await kind.prepare(input, context);
    internal.push(...p.problems.map((problem) => generatedCodeIssue(owners[problem.document], kind, problem)));
    prepared.push({ kind, engine: p.engine });
  }
  const ready = kinds.map((kind) => prepared.find((r) => r.kind === kind)!);
  const stats = ready.find((r) => r.engine.compileStats)?.engine.compileStats;
  const engines: PolicycEngines = {
    names: ready.map((r) => r.kind.name),
    evaluate(policy, instance, admission, options = {}, only) {
      const name = instanceName(policy.policy.name, instance);
      return ready
        .filter((r) => !only || only.includes(r.kind.name))
        .map(({ kind, engine }): EngineAnswer => {
          if (kind.target !== "ir") {
            const setting = policy.policy.targets[kind.target];
            if (!setting.enabled) return { engine: kind.name, optedOut: `the policy opts out of ${kind.target}: ${setting.reason}` };
          }
          const started = performance.now();
          const verdict = engine.evaluate({ policy: name, admission }, options);
          return { engine: kind.name, verdict, ms: performance.now() - started };
        });
    },
    release() {
      for (const r of ready) r.engine.release();
    },
  };
  return { engines, internal, ...(stats ? { stats } : {}) };
}

// ------------------------------------------------------------------ existing YAML documents

/** A policy among existing documents: the engine that evaluates it, its name, its set and document. */
export interface DocumentPolicy {
  readonly engine: EngineName;
  readonly name: string;
  readonly set: string;
  /** Its index among the set's documents. */
  readonly document: number;
}

export interface DocumentEngines {
  /** Every policy the sets hold: engine by engine (in report order), then in document order. */
  readonly policies: readonly DocumentPolicy[];
  /** The policy of this name in a set (for one engine, when given). */
  find(name: string, set: string, engine?: EngineName): DocumentPolicy | undefined;
  evaluate(policy: DocumentPolicy, admission: AdmissionRequest, options?: EvaluateOptions): Verdict;
  readonly stats?: { readonly compiled: number; readonly cached: number };
  release(): void;
}

/**
 * The engines that read existing YAML documents, prepared for the sets: each policy document goes
 * to the engine that reads it (of `names`, default all, whose runtime the context has).
 * Problems name the engine, the set and the document.
 */
export async function composeDocumentEngines(
  sets: readonly GatekeeperDocuments[],
  context: ComposeContext,
  names: readonly EngineName[] = ENGINE_NAMES,
): Promise<{ engines: DocumentEngines; problems: (SetProblem & { engine: EngineName })[] }> {
  const problems: (SetProblem & { engine: EngineName })[] = [];
  const policies: DocumentPolicy[] = [];
  const engines = new Map<EngineName, Engine>();
  for (const kind of inPreparationOrder(kindsFor(names, context.runtimes))) {
    const mine = sets.flatMap((s) =>
      s.documents.flatMap((d, document) => {
        const name = kind.policyName(d);
        return name === undefined ? [] : [{ engine: kind.name, name, set: s.id, document }];
      }),
    );
    if (mine.length === 0) continue;
    const prepared = await kind.prepare({ sets, policies: [] }, context);
    problems.push(...prepared.problems.map((p) => ({ ...p, engine: kind.name })));
    engines.set(kind.name, prepared.engine);
    policies.push(...mine);
  }
  const stats = [...engines.values()].find((e) => e.compileStats)?.compileStats;
  return {
    engines: {
      policies,
      find: (name, set, engine) => policies.find((p) => p.name === name && p.set === set && (engine === undefined || p.engine === engine)),
      evaluate: (p, admission, options) =>
        engines.get(p.engine)?.evaluate({ policy: p.name, set: p.set, admission }, options) ??
        failure("missing_document", `no ${p.engine} policy named ${p.name}`),
      ...(stats ? { stats } : {}),
      release() {
        for (const e of engines.values()) e.release();
      },
    },
    problems,
  };
}

// ------------------------------------------------------------------ mutations

/**
 * Mutation engines for policyc's mutations and for mutation documents: each engine reads its
 * target's documents (the reference engine, the IR). Engines whose runtime is missing are left out.
 */
export function composeMutationEngines(
  input: { readonly sets: readonly DocumentSet<KubeObject>[]; readonly mutations: readonly Mutation[] },
  names: readonly EngineName[],
  runtimes: Runtimes,
  options: { readonly bindUnbound?: boolean } = {},
): { engines: MutationEngine[]; problems: (SetProblem & { engine: EngineName })[] } {
  const engines: MutationEngine[] = [];
  const problems: (SetProblem & { engine: EngineName })[] = [];
  const add = (name: EngineName, p: Prepared<MutationEngine>) => {
    engines.push(p.engine);
    problems.push(...p.problems.map((x) => ({ ...x, engine: name })));
  };
  // The kubernetes engine is prepared before kyverno's, whose compile of the same CEL reuses its
  // own (go/cel/policy/mutate.go); the engines stay in ENGINE_NAMES order.
  const order = ENGINE_NAMES.filter((n) => names.includes(n)).sort((a, b) => Number(b === "kubernetes") - Number(a === "kubernetes"));
  for (const name of order) {
    if (name === "reference") add(name, ReferenceMutationEngine.prepare(input.mutations));
    else if (name === "gatekeeper") add(name, GatekeeperMutationEngine.prepare(input.sets));
    else if (runtimes.cel)
      add(
        name,
        name === "kyverno"
          ? KyvernoMutationEngine.prepare(input.sets, { runtime: runtimes.cel })
          : KubernetesMutationEngine.prepare(input.sets, { runtime: runtimes.cel, bindUnbound: options.bindUnbound === true }),
      );
  }
  engines.sort((a, b) => ENGINE_NAMES.indexOf(a.name) - ENGINE_NAMES.indexOf(b.name));
  return { engines, problems };
}

/** A mutation engine's answer as reports name it: the changed object, `unchanged`, `none` (did not apply) or `error`. */
export function mutationActual(a: MutationAnswer, before: unknown): "mutated" | "unchanged" | "none" | "error" {
  if (a.kind === "skip") return "none";
  if (a.kind === "error") return "error";
  return canonicalJson(a.object) === canonicalJson(before) ? "unchanged" : "mutated";
}

/** JSON with object keys sorted: two objects are equal when their canonical texts are. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * The disagreement rule for mutations: engines that answered (errors are rows of their own)
 * disagree when one applied the mutation and another did not, or their objects differ.
 */
export function compareMutations(answers: readonly { readonly engine: EngineName; readonly answer: MutationAnswer }[]): boolean {
  const said = new Set(
    answers.filter((a) => a.answer.kind !== "error").map((a) => (a.answer.kind === "mutated" ? canonicalJson(a.answer.object) : "skip")),
  );
  return said.size > 1;
}

/**
 * Every engine's answer to one mutation instance on one request, with how long it took; an engine
 * whose target the mutation skips gives none (the reference engine always answers).
 */
export function mutateOnEngines(
  engines: readonly MutationEngine[],
  mutation: Pick<Mutation, "targets">,
  request: EngineRequest,
): { readonly engine: EngineName; readonly answer: MutationAnswer; readonly ms: number; readonly e: MutationEngine }[] {
  return engines
    .filter((e) => e.name === "reference" || mutation.targets[e.name].enabled)
    .map((e) => {
      const started = performance.now();
      const answer = e.mutate(request);
      return { engine: e.name, answer, ms: performance.now() - started, e };
    });
}

/** What a mutation answer shows in a diff: the object, `skip`, or the error. */
export const shownAnswer = (a: MutationAnswer): unknown =>
  a.kind === "mutated" ? a.object : a.kind === "error" ? `error: ${a.message}` : "skip";
