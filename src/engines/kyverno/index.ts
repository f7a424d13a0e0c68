/**
 * The `kyverno` engine: Kyverno's policies read as Kyverno reads them, evaluated on the CEL
 * runtime with Kyverno's CEL libraries.
 * - ValidatingPolicy and NamespacedValidatingPolicy (policies.kyverno.io): the VAP they correspond
 *   to, plus autogen variants for pod controllers (./autogen.ts).
 * - ClusterPolicy and Policy (kyverno.io/v1) with validate.cel rules (./cluster-policy.ts).
 * - PolicyExceptions (./exceptions.ts).
 */
import { subjectObject, type AdmissionRequest, type KubeObject } from "../../kube/index.js";
import { CompiledVap, type CelRuntime } from "../cel/index.js";
import { parseFieldPath } from "../verdict/index.js";
import { failure, skip, type DocumentProblem, type Verdict } from "../verdict/index.js";
import { validatingPolicyAutogen } from "./autogen.js";
import { clusterPolicyUnits, type RuleUnit } from "./cluster-policy.js";
import { Exceptions } from "./exceptions.js";
import { bindingFor, specOf, validationActions, vapOf } from "./validating-policy.js";

export {
  validatingPolicyAutogen,
  canAutogenValidatingPolicy,
  clusterPolicyRuleAutogen,
  rewriteProtected,
  AUTOGEN_ANNOTATION,
} from "./autogen.js";
export { vapOf, bindingFor } from "./validating-policy.js";

/** One rule's (or, for a ValidatingPolicy, one variant's) answer. */
export interface KyvernoRuleResult {
  /** The ClusterPolicy rule (`autogen-…` for generated ones); "" for a ValidatingPolicy, `autogen-defaults`/`autogen-cronjobs` for its variants. */
  readonly rule: string;
  readonly verdict: Verdict;
}

export interface KyvernoResult {
  /** The policy's answer: a deny if any rule denies, else an error, else an allow, else a skip. */
  readonly verdict: Verdict;
  readonly rules: readonly KyvernoRuleResult[];
}

export const POLICY_KINDS = ["ValidatingPolicy", "NamespacedValidatingPolicy", "ClusterPolicy", "Policy"] as const;

/** A Policy or NamespacedValidatingPolicy is named `namespace/name`, as Kyverno's reports name it. */
export function qualifiedName(doc: KubeObject): string {
  const name = String(doc.metadata?.name ?? "");
  return doc.metadata?.namespace ? `${doc.metadata.namespace}/${name}` : name;
}

export class KyvernoEngine {
  readonly name = "kyverno" as const;
  private constructor(
    private readonly policies: ReadonlyMap<string, readonly RuleUnit[]>,
    private readonly exceptions: Exceptions,
  ) {}

  /** Compiles every Kyverno policy among the documents; other kinds are ignored. */
  static prepare(
    documents: readonly KubeObject[],
    /** `now`: judge PolicyExceptions' `expiresAt` as admission does (see Exceptions.prepare). */
    context: { readonly runtime: CelRuntime; readonly now?: number },
  ): { engine: KyvernoEngine; problems: DocumentProblem[] } {
    const policies = new Map<string, RuleUnit[]>();
    const problems: DocumentProblem[] = [];
    documents.forEach((doc, index) => {
      if (doc.kind === "ValidatingPolicy" || doc.kind === "NamespacedValidatingPolicy") {
        const r = validatingPolicyUnits(doc, index, context.runtime);
        policies.set(qualifiedName(doc), r.units);
        problems.push(...r.problems);
      } else if (doc.kind === "ClusterPolicy" || doc.kind === "Policy") {
        const r = clusterPolicyUnits(doc, index, context.runtime);
        policies.set(qualifiedName(doc), r.units);
        problems.push(...r.problems);
      }
    });
    const ex = Exceptions.prepare(documents, context.runtime, context.now);
    return { engine: new KyvernoEngine(policies, ex.exceptions), problems: [...problems, ...ex.problems] };
  }

  /** Frees the compiled policies in the CEL runtime (long runs such as the fuzzer). */
  release(): void {
    for (const units of this.policies.values()) for (const u of units) u.release?.();
  }

  has(policy: string): boolean {
    return this.policies.has(policy);
  }

  /** Every rule of the policy on the request, and the policy's answer. */
  evaluate(policy: string, req: AdmissionRequest): KyvernoResult {
    const units = this.policies.get(policy);
    if (!units) return { verdict: failure("missing_document", `no Kyverno policy named ${policy}`), rules: [] };
    const object = subjectObject(req) ?? {};
    const rules = units.map((u): KyvernoRuleResult => {
      const exception = this.exceptions.find(policy, u.rule, object, req);
      return { rule: u.rule, verdict: exception ? skip("exception", `PolicyException ${exception} applies`) : u.evaluate(object, req) };
    });
    return { verdict: combine(rules.map((r) => r.verdict)), rules };
  }
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

/** A ValidatingPolicy's units: the policy itself, then its autogen variants (each matches its own kinds). */
function validatingPolicyUnits(doc: KubeObject, index: number, runtime: CelRuntime): { units: RuleUnit[]; problems: DocumentProblem[] } {
  const name = String(doc.metadata?.name ?? "");
  const spec = specOf(doc);
  const binding = bindingFor(name, validationActions(spec));
  const main = CompiledVap.compile(runtime, vapOf(name, spec), [binding], KYVERNO_VP);
  if (!main.ok) {
    return {
      units: [],
      problems: main.problems.map((p) => ({ code: "compile_error", document: index, field: parseFieldPath(p.field), message: p.message })),
    };
  }
  const units: RuleUnit[] = [{ rule: "", evaluate: (_o, req) => main.vap.evaluate(req), release: () => main.vap.release() }];
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
      evaluate: (_o, req) =>
        compiled.ok
          ? compiled.vap.evaluate(req)
          : failure("evaluation_error", `autogen ${variant.name} does not compile: ${compiled.problems.map((p) => p.message).join("; ")}`),
    });
  }
  return { units, problems: [] };
}
