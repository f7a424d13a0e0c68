/**
 * ClusterPolicy and Policy (kyverno.io/v1) rules with `validate.cel`, the legacy form of Kyverno's
 * CEL policies: each rule is a VAP-shaped unit behind the rule's match and exclude blocks, its
 * `celPreconditions` as match conditions; autogen adds `autogen-` and `autogen-cronjob-` rules.
 * Rules of other shapes (pattern, deny, foreach, mutate…) are answered `unsupported`, never a pass.
 */
import type { AdmissionRequest, KubeObject } from "../../kube/index.js";
import { CompiledVap, type CelProblem, type CelRuntime } from "../cel/index.js";
import { parseFieldPath } from "../verdict/index.js";
import { failure, skip, type DocumentProblem, type Verdict } from "../verdict/index.js";
import { clusterPolicyControllers, clusterPolicyRuleAutogen } from "./autogen.js";
import type { ExceptionValues } from "./exceptions.js";
import { blockMatches } from "./match.js";
import { bindingFor, VAP_API } from "./validating-policy.js";

/** One rule, ready to evaluate (or why it cannot be). */
export interface RuleUnit {
  readonly rule: string;
  /** `allows`: what PolicyExceptions allow the policy on this request (Kyverno's `exceptions`). */
  evaluate(object: KubeObject, req: AdmissionRequest, allows?: ExceptionValues): Verdict;
  /** Frees what the unit compiled in the CEL runtime. */
  release?(): void;
}

const VALIDATE_SHAPES = ["pattern", "anyPattern", "deny", "foreach", "podSecurity", "manifests", "assert"];

/** Why a rule is not one policyc evaluates, if it is not. */
function unsupportedConstruct(rule: Record<string, unknown>): string | undefined {
  const name = String(rule.name ?? "");
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
            ? `validate.${Object.keys(validate).find((k) => VALIDATE_SHAPES.includes(k)) ?? "?"}`
            : undefined;
  if (construct) return `rule ${name} uses ${construct}, which policyc does not evaluate (only validate.cel)`;
  if (rule.preconditions) return `rule ${name} uses JMESPath preconditions, which policyc does not evaluate (celPreconditions are)`;
  return undefined;
}

/** Where a compile problem of the rule's VAP sits in the ClusterPolicy. */
function ruleField(ruleIndex: number, p: CelProblem): (string | number)[] {
  const path = parseFieldPath(p.field);
  const base = ["spec", "rules", ruleIndex];
  const [, section, i, leaf] = path;
  if (section === "validations") return [...base, "validate", "cel", "expressions", i as number, leaf as string];
  if (section === "variables") return [...base, "validate", "cel", "variables", i as number, leaf as string];
  if (section === "matchConditions") return [...base, "celPreconditions", i as number, leaf as string];
  if (section === "auditAnnotations") return [...base, "validate", "cel", "auditAnnotations", i as number, leaf as string];
  return base;
}

/** The VAP a validate.cel rule corresponds to, and the actions it takes. */
function ruleVap(
  policyName: string,
  doc: KubeObject,
  rule: Record<string, unknown>,
): { name: string; vap: KubeObject; action: "Enforce" | "Audit" } {
  const validate = rule.validate as Record<string, unknown>;
  const cel = validate.cel as Record<string, unknown>;
  const exprs = (cel.expressions as Record<string, unknown>[] | undefined) ?? [];
  const name = `${policyName}-${String(rule.name ?? "")}`;
  const message = typeof validate.message === "string" ? validate.message : undefined;
  const vap = {
    apiVersion: VAP_API,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name },
    spec: {
      ...(cel.variables ? { variables: cel.variables } : {}),
      ...(rule.celPreconditions ? { matchConditions: rule.celPreconditions } : {}),
      ...(cel.auditAnnotations ? { auditAnnotations: cel.auditAnnotations } : {}),
      validations: exprs.map((e) => ({ ...e, ...(message && !e.message && !e.messageExpression ? { message } : {}) })),
    },
  };
  const spec = (doc as { spec?: Record<string, unknown> }).spec ?? {};
  const action = String(validate.failureAction ?? spec.validationFailureAction ?? "Audit");
  return { name, vap, action: /^enforce$/i.test(action) ? "Enforce" : "Audit" };
}

/** The rule units of a ClusterPolicy (or Policy), autogen rules included; compile problems as values. */
export function clusterPolicyUnits(
  doc: KubeObject,
  index: number,
  runtime: CelRuntime,
): { units: RuleUnit[]; problems: DocumentProblem[] } {
  const name = String(doc.metadata?.name ?? "");
  const rules = ((doc as { spec?: { rules?: unknown } }).spec?.rules as Record<string, unknown>[] | undefined) ?? [];
  const controllers = clusterPolicyControllers(doc, rules);
  const units: RuleUnit[] = [];
  const problems: DocumentProblem[] = [];
  const unitOf = (rule: Record<string, unknown>, ruleIndex: number | undefined): RuleUnit | undefined => {
    const ruleName = String(rule.name ?? "");
    const unsupported = unsupportedConstruct(rule);
    if (unsupported) return { rule: ruleName, evaluate: () => failure("unsupported", unsupported) };
    const { name: vapName, vap, action } = ruleVap(name, doc, rule);
    const compiled = CompiledVap.compile(runtime, vap, [bindingFor(vapName, ["Deny"])], {
      kyverno: true,
      outcome: "kyverno-cluster-policy",
    });
    if (!compiled.ok) {
      if (ruleIndex !== undefined)
        for (const p of compiled.problems)
          problems.push({ code: "compile_error", document: index, field: ruleField(ruleIndex, p), message: p.message });
      if (ruleIndex !== undefined) return undefined;
      const detail = compiled.problems.map((p) => `${p.field}: ${p.message}`).join("; ");
      return { rule: ruleName, evaluate: () => failure("evaluation_error", `autogen rule ${ruleName} does not compile: ${detail}`) };
    }
    return {
      rule: ruleName,
      release: () => compiled.vap.release(),
      evaluate(object, req) {
        if (!blockMatches(rule.match, object, req) || (rule.exclude && blockMatches(rule.exclude, object, req))) {
          return skip("not_matched", `rule ${ruleName}'s match/exclude does not select the resource`);
        }
        const v = compiled.vap.evaluate(req);
        return v.kind === "deny" ? { ...v, actions: [action] } : v;
      },
    };
  };
  rules.forEach((rule, i) => {
    const unit = unitOf(rule, i);
    if (unit) units.push(unit);
    if (unsupportedConstruct(rule)) return;
    for (const generated of clusterPolicyRuleAutogen(rule, controllers)) {
      const u = unitOf(generated.rule, undefined);
      if (u) units.push(u);
    }
  });
  return { units, problems };
}
