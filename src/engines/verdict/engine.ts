/**
 * The one contract every engine implements. An engine is prepared once from what it reads (the
 * documents of its target, or for the reference engine the IR) and then answers requests:
 *
 *   const { engine, problems } = await SomeEngine.prepare(input, context);
 *   engine.evaluate({ policy: "disallow-privileged", admission }, { audit: false }); // → Verdict
 *
 * Problems with the input come back as values (DocumentProblem), never thrown. `evaluate` is
 * synchronous: it is the hot path of every run, and the runtimes it calls are in-process.
 */
import type { AdmissionRequest } from "../../kube/index.js";
import type { DocumentProblem, Verdict } from "./verdict.js";

/** The engines policyc runs; each reads one target's documents (the reference engine, the IR). */
export type EngineName = "gatekeeper" | "kyverno" | "kubernetes" | "reference";
/** Every engine, in the order reports list them. */
export const ENGINE_NAMES: readonly EngineName[] = ["kyverno", "kubernetes", "gatekeeper", "reference"];

/**
 * A named group of documents prepared together: a cluster's worth of policies. Names are unique
 * within a set, not across sets (two gator tests may each define the same Constraint).
 */
export interface DocumentSet<D> {
  readonly id: string;
  readonly documents: readonly D[];
}

/** Documents as one set, for an engine prepared with one (its requests name no set). */
export const oneSet = <D>(documents: readonly D[]): DocumentSet<D>[] => [{ id: "", documents }];

/** What an engine is asked: which of its policies, in which set, about which admission request. */
export interface EngineRequest {
  /**
   * The policy as the engine's documents name it: a ValidatingAdmissionPolicy's name, a Kyverno
   * policy's (`namespace/name` when namespaced), a Constraint's, a policyc instance's.
   */
  readonly policy: string;
  /** The document set it was prepared in; omitted when the engine was prepared with one. */
  readonly set?: string;
  readonly admission: AdmissionRequest;
}

export interface EvaluateOptions {
  /**
   * Review as background scans review existing objects: Gatekeeper's audit (no operation, no
   * user), Kyverno's background scan (which skips policies with background disabled).
   */
  readonly audit?: boolean;
  /** Stop one evaluation after this long (a user's template may loop). */
  readonly timeoutMs?: number;
  /**
   * Only this rule of the policy, where the target names rules: a Kyverno ClusterPolicy rule (and
   * the autogen rules Kyverno makes from it). The verdict is the first of its answers that
   * decided, as the Kyverno CLI reads a result row naming a rule.
   */
  readonly rule?: string;
  /**
   * Gatekeeper's enforcement point the review stands for (a constraint's `scoped` enforcement
   * actions name the points they apply at): `gator.gatekeeper.sh` for gator suites; by default
   * `audit.gatekeeper.sh` in audit, else the webhook's `validation.gatekeeper.sh`.
   */
  readonly enforcementPoint?: string;
}

/** An engine, prepared. */
export interface Engine {
  readonly name: EngineName;
  /** Whether the engine holds this policy (in this set). */
  has(policy: string, set?: string): boolean;
  evaluate(request: EngineRequest, options?: EvaluateOptions): Verdict;
  /** Frees what the engine holds in its runtime (compiled CEL on the Go side); it must not be used afterwards. */
  release(): void;
  /** Engines that compile to Wasm through a cache (Gatekeeper's templates): what was compiled and what came from the cache. */
  readonly compileStats?: { readonly compiled: number; readonly cached: number };
}

/** What `prepare` answers: the engine, and the problems of the documents it could not read. */
export interface Prepared<E extends Engine | MutationEngine = Engine> {
  readonly engine: E;
  readonly problems: readonly SetProblem[];
}

/** A document problem, with the set the document belongs to ("" for an engine prepared with one). */
export type SetProblem = DocumentProblem & { readonly set: string };

/**
 * How an engine is made: from its input (documents of its target in sets, or the IR) and the
 * context it needs (its runtime, clocks, options).
 */
export interface EngineFactory<Input, Context, E extends Engine | MutationEngine = Engine> {
  prepare(input: Input, context: Context): Prepared<E> | Promise<Prepared<E>>;
}

/** Every document of every set, with its index in its set and the set's id. */
export function* documentsOf<D>(
  sets: readonly DocumentSet<D>[],
): Generator<{ readonly doc: D; readonly index: number; readonly set: string }> {
  for (const s of sets) for (const [index, doc] of s.documents.entries()) yield { doc, index, set: s.id };
}

/** The key of a policy in a set, for engines that keep their policies in one map. */
export const setKey = (set: string | undefined, policy: string): string => `${set ?? ""}\0${policy}`;

/**
 * What a mutation engine answers about one mutation and one admission request: the object after
 * the mutation (`mutated`, equal to the admitted one when nothing changed), `skip` when the
 * mutation does not apply (match, conditions), or `error` (the engine could not apply it).
 */
export type MutationAnswer =
  { readonly kind: "mutated"; readonly object: unknown } | { readonly kind: "skip" } | { readonly kind: "error"; readonly message: string };

/**
 * A mutation engine: the same contract as a validating one (prepared once from its target's
 * documents or the IR, `has`, `release`), answering a patched object instead of a verdict.
 */
export interface MutationEngine {
  readonly name: EngineName;
  has(policy: string, set?: string): boolean;
  mutate(request: EngineRequest, options?: Pick<EvaluateOptions, "timeoutMs">): MutationAnswer;
  release(): void;
}
