/**
 * The `kyverno` engine: Kyverno's policies read as Kyverno reads them, evaluated on the CEL
 * runtime with Kyverno's CEL libraries.
 * - ValidatingPolicy and NamespacedValidatingPolicy (policies.kyverno.io): the VAP they correspond
 *   to, plus autogen variants for pod controllers (./autogen.ts).
 * - ClusterPolicy and Policy (kyverno.io/v1) with validate.cel rules (./cluster-policy.ts).
 * - PolicyExceptions (./exceptions.ts).
 */
import { subjectObject, type AdmissionRequest, type KubeObject } from "../../kube/index.js";
import { authzModeOf, CompiledAuthz, CompiledVap, type CelRuntime } from "../cel/index.js";
import { failure, parseFieldPath, setKey, skip } from "../verdict/index.js";
import type {
  DocumentProblem,
  DocumentSet,
  Engine,
  EngineRequest,
  EvaluateOptions,
  Prepared,
  SetProblem,
  Verdict,
} from "../verdict/index.js";
import { validatingPolicyAutogen } from "./autogen.js";
import { clusterPolicyUnits, type RuleUnit } from "./cluster-policy.js";
import { Exceptions } from "./exceptions.js";
import { bindingFor, isJsonMode, specOf, validationActions, vapOf } from "./validating-policy.js";

export {
  validatingPolicyAutogen,
  canAutogenValidatingPolicy,
  clusterPolicyRuleAutogen,
  rewriteProtected,
  AUTOGEN_ANNOTATION,
} from "./autogen.js";
export { vapOf, bindingFor } from "./validating-policy.js";

export const POLICY_KINDS = ["ValidatingPolicy", "NamespacedValidatingPolicy", "ClusterPolicy", "Policy"] as const;

/** A Policy or NamespacedValidatingPolicy is named `namespace/name`, as Kyverno's reports name it. */
export function qualifiedName(doc: KubeObject): string {
  const name = String(doc.metadata?.name ?? "");
  return doc.metadata?.namespace ? `${doc.metadata.namespace}/${name}` : name;
}

/** Whether Kyverno's background scan evaluates the policy (ValidatingPolicy `evaluation.background.enabled`, ClusterPolicy `background`). */
export function runsInBackground(doc: KubeObject): boolean {
  const spec = (doc as { spec?: Record<string, unknown> }).spec ?? {};
  return String(doc.kind).endsWith("ValidatingPolicy")
    ? (spec.evaluation as { background?: { enabled?: boolean } } | undefined)?.background?.enabled !== false
    : spec.background !== false;
}

/** A rule row names a ClusterPolicy rule, or the autogen rules Kyverno makes from it (as the CLI's lookup does). */
export const ruleMatches = (unit: string, rule: string): boolean =>
  unit === rule || unit === `autogen-${rule}` || unit === `autogen-cronjob-${rule}`;

/** One rule's (or, for a ValidatingPolicy, one variant's) answer. */
export interface KyvernoRuleResult {
  /** The ClusterPolicy rule (`autogen-…` for generated ones); "" for a ValidatingPolicy, `autogen-defaults`/`autogen-cronjobs` for its variants. */
  readonly rule: string;
  readonly verdict: Verdict;
}

interface KyvernoPolicy {
  readonly units: readonly RuleUnit[];
  readonly background: boolean;
  readonly exceptions: Exceptions;
  /**
   * A ValidatingPolicy in JSON mode, or in the Kyverno Authz Server's HTTP or Envoy mode: the
   * request's object is evaluated as a payload, not a Kubernetes object (payloadOf).
   */
  readonly json: boolean;
  /** In HTTP or Envoy mode: PolicyExceptions do not apply (the Kyverno CLI's authz processor reads none). */
  readonly authz: boolean;
}

/**
 * The request a ValidatingPolicy in JSON mode evaluates (Kyverno's vpol engine, `evaluation.mode:
 * JSON`): the request's object (a JSON payload, or a Kubernetes object read as one) as `object`,
 * matched by no matchConstraints, with no old object and no user. One per request, so policies
 * evaluated on the same payload share it on the CEL runtime.
 */
const payloads = new WeakMap<AdmissionRequest, AdmissionRequest>();
function payloadOf(req: AdmissionRequest): AdmissionRequest {
  let p = payloads.get(req);
  if (!p) {
    p = {
      operation: "CREATE",
      object: subjectObject(req) ?? {},
      ...(req.cluster ? { cluster: req.cluster } : {}),
      ...(req.numbersAsDoubles ? { numbersAsDoubles: true } : {}),
    };
    payloads.set(req, p);
  }
  return p;
}

export interface KyvernoContext {
  readonly runtime: CelRuntime;
  /** Admission's clock: judge PolicyExceptions' `expiresAt` as admission does (see Exceptions.prepare). */
  readonly now?: number;
}

export class KyvernoEngine implements Engine {
  readonly name = "kyverno" as const;
  private constructor(private readonly policies: ReadonlyMap<string, KyvernoPolicy>) {}

  /** Compiles every Kyverno policy of every set (with the set's PolicyExceptions); other kinds are ignored. */
  static prepare(sets: readonly DocumentSet<KubeObject>[], context: KyvernoContext): Prepared<KyvernoEngine> {
    const policies = new Map<string, KyvernoPolicy>();
    const problems = sets.flatMap((set) => prepareSet(set, context, policies));
    return { engine: new KyvernoEngine(policies), problems };
  }

  release(): void {
    for (const p of this.policies.values()) for (const u of p.units) u.release?.();
  }

  has(policy: string, set?: string): boolean {
    return this.policies.has(setKey(set, policy));
  }

  /**
   * The policy's answer on the request: a deny if any rule denies, else an error, else an allow,
   * else a skip. With `rule`, only that rule and its autogen rules, the first that decides. In
   * an audit, a policy with background disabled is not evaluated, as Kyverno's background scan skips it.
   */
  evaluate(request: EngineRequest, options: EvaluateOptions = {}): Verdict {
    const policy = this.policies.get(setKey(request.set, request.policy));
    if (!policy) return failure("missing_document", `no Kyverno policy named ${request.policy}`);
    if (options.audit && !policy.background)
      return skip("not_evaluated", "Kyverno's background scan skips this policy (background disabled)");
    const results = this.rules(request, options.rule);
    if (options.rule !== undefined && results.length === 0)
      return failure("missing_document", `no policy ${request.policy} with rule ${options.rule}`);
    const verdicts = results.map((r) => r.verdict);
    if (options.rule !== undefined) return verdicts.find((v) => v.kind !== "skip") ?? verdicts[0]!;
    return combine(verdicts);
  }

  /**
   * Beyond the contract, as Kyverno reports rule by rule: each rule's answer (for a
   * ValidatingPolicy, the policy's and its autogen variants'), in order; only `rule`'s (and its
   * autogen rules') when given.
   */
  rules(request: EngineRequest, rule?: string): KyvernoRuleResult[] {
    const policy = this.policies.get(setKey(request.set, request.policy));
    if (!policy) return [];
    const req = policy.json ? payloadOf(request.admission) : request.admission;
    const units = rule === undefined ? policy.units : policy.units.filter((u) => ruleMatches(u.rule, rule));
    const object = subjectObject(req) ?? {};
    return units.map((u) => {
      const outcome = policy.authz ? {} : policy.exceptions.applying(request.policy, u.rule, object, req, policy.json);
      return {
        rule: u.rule,
        verdict: outcome.exempt ? skip("exception", `PolicyException ${outcome.exempt} applies`) : u.evaluate(object, req, outcome.allows),
      };
    });
  }
}

/** One set's policies, compiled into `policies` with the set's exceptions; the set's problems. */
function prepareSet(set: DocumentSet<KubeObject>, context: KyvernoContext, policies: Map<string, KyvernoPolicy>): SetProblem[] {
  const ex = Exceptions.prepare(set.documents, context.runtime, context.now);
  const problems: DocumentProblem[] = [];
  set.documents.forEach((doc, index) => {
    const r = isValidatingPolicy(doc)
      ? validatingPolicyUnits(doc, index, context.runtime)
      : doc.kind === "ClusterPolicy" || doc.kind === "Policy"
        ? clusterPolicyUnits(doc, index, context.runtime)
        : undefined;
    if (!r) return;
    const authz = isValidatingPolicy(doc) && authzModeOf(doc) !== undefined;
    policies.set(setKey(set.id, qualifiedName(doc)), {
      units: r.units,
      background: runsInBackground(doc),
      exceptions: ex.exceptions,
      json: authz || (isValidatingPolicy(doc) && isJsonMode(specOf(doc))),
      authz,
    });
    problems.push(...r.problems);
  });
  return [...problems, ...ex.problems].map((p) => ({ ...p, set: set.id }));
}

function combine(verdicts: readonly Verdict[]): Verdict {
  const denies = verdicts.filter((v): v is Extract<Verdict, { kind: "deny" }> => v.kind === "deny");
  if (denies.length)
    return { kind: "deny", actions: [...new Set(denies.flatMap((d) => d.actions))], violations: denies.flatMap((d) => d.violations) };
  return (
    verdicts.find((v) => v.kind === "error") ??
    verdicts.find((v) => v.kind === "allow") ??
    verdicts[0] ??
    skip("not_matched", "the policy has no rules")
  );
}

/** Kyverno's CEL libraries, and its ValidatingPolicy engine's reading of errors and failures. */
const KYVERNO_VP = { kyverno: true, outcome: "kyverno-validating-policy" } as const;

const isValidatingPolicy = (doc: KubeObject) => doc.kind === "ValidatingPolicy" || doc.kind === "NamespacedValidatingPolicy";

/**
 * A ValidatingPolicy's units: the policy itself, then its autogen variants (each matches its own
 * kinds). In JSON mode, the policy alone, compiled in the same environment (as Kyverno compiles
 * it) without its matchConstraints, which Kyverno does not read for JSON payloads. In Kubernetes
 * mode without matchConstraints, nothing: it is never compiled, as it never matches.
 */
function validatingPolicyUnits(doc: KubeObject, index: number, runtime: CelRuntime): { units: RuleUnit[]; problems: DocumentProblem[] } {
  if (authzModeOf(doc)) return authzUnits(doc, index, runtime);
  const name = String(doc.metadata?.name ?? "");
  const spec = specOf(doc);
  const json = isJsonMode(spec);
  // Kyverno's engine matches a Kubernetes-mode policy by its matchConstraints, and one without
  // any to nothing (vpol engine's matchPolicy), where a VAP without them would match everything.
  if (!json && spec["matchConstraints"] === undefined)
    return {
      units: [{ rule: "", evaluate: () => skip("not_matched", "a ValidatingPolicy without matchConstraints matches nothing") }],
      problems: [],
    };
  const binding = bindingFor(name, validationActions(spec));
  const main = CompiledVap.compile(runtime, vapOf(name, json ? { ...spec, matchConstraints: undefined } : spec), [binding], KYVERNO_VP);
  if (!main.ok) {
    return {
      units: [],
      problems: main.problems.map((p) => ({ code: "compile_error", document: index, field: parseFieldPath(p.field), message: p.message })),
    };
  }
  const units: RuleUnit[] = [
    {
      rule: "",
      evaluate: (_o, req, allows) => main.vap.evaluate(req, { payload: json, ...(allows ? { exceptions: allows } : {}) }),
      release: () => main.vap.release(),
    },
  ];
  if (json) return { units, problems: [] };
  for (const variant of validatingPolicyAutogen(spec)) {
    const compiled = CompiledVap.compile(
      runtime,
      vapOf(`${variant.name}-${name}`, variant.spec),
      [bindingFor(`${variant.name}-${name}`, validationActions(spec))],
      KYVERNO_VP,
    );
    units.push({
      rule: variant.name,
      ...(compiled.ok ? { release: () => compiled.vap.release() } : {}),
      evaluate: (_o, req, allows) =>
        compiled.ok
          ? compiled.vap.evaluate(req, allows ? { exceptions: allows } : {})
          : failure("evaluation_error", `autogen ${variant.name} does not compile: ${compiled.problems.map((p) => p.message).join("; ")}`),
    });
  }
  return { units, problems: [] };
}
/**
 * A ValidatingPolicy in the Kyverno Authz Server's HTTP or Envoy mode: one unit, the request's
 * object the payload (go/cel/authz), compiled in the mode's environment.
 */
function authzUnits(doc: KubeObject, index: number, runtime: CelRuntime): { units: RuleUnit[]; problems: DocumentProblem[] } {
  const compiled = CompiledAuthz.compile(runtime, doc);
  if (!compiled.ok)
    return {
      units: [],
      problems: compiled.problems.map((p) => ({
        code: "compile_error",
        document: index,
        field: parseFieldPath(p.field),
        message: p.message,
      })),
    };
  return {
    units: [{ rule: "", evaluate: (_o, req) => compiled.policy.authorize(req), release: () => compiled.policy.release() }],
    problems: [],
  };
}
export { KyvernoMutationEngine } from "./mutating.js";
