import { exemptsSomeRules, issue, type Exception, type Issue, type Mutation, type Policy, type TargetName } from "../ir/index.js";
import { vapPlacement } from "../lower/cel/index.js";
import { gatekeeperPlacement } from "../lower/rego/index.js";
import type { TargetOutput } from "./document/index.js";
import { gatekeeperIssues, gatekeeperMutationIssues, templateNameIssues, toGatekeeper, toGatekeeperMutators } from "./gatekeeper/index.js";
import { kubernetesIssues, toMutatingAdmissionPolicies, toValidatingAdmissionPolicies } from "./kubernetes/index.js";
import { kyvernoIssues, toClusterPolicies, toMutatingPolicies, toValidatingPolicies, type KyvernoOptions } from "./kyverno/index.js";
export { legacyIssues as legacyKyvernoIssues } from "./kyverno/index.js";

export * from "./document/index.js";
export {
  toGatekeeper,
  constraintKind,
  toGatekeeperReview,
  toGatekeeperSyncConfig,
  toGatekeeperMutators,
  gatekeeperMutationIssues,
  type ReviewCompanion,
} from "./gatekeeper/index.js";
export { toValidatingAdmissionPolicies, toMutatingAdmissionPolicies, MUTATING_API_VERSION } from "./kubernetes/index.js";
export { toClusterPolicies, toValidatingPolicies, toMutatingPolicies, type KyvernoOptions } from "./kyverno/index.js";

export type KyvernoFormat = "validating-policy" | "legacy";

/** What the enabled targets cannot express faithfully for this policy: located `unsupported_by_target` issues. */
export function targetIssues(p: Policy, targets: readonly TargetName[]): Issue[] {
  const issuesOf: Record<TargetName, (p: Policy) => Issue[]> = {
    kyverno: kyvernoIssues,
    kubernetes: kubernetesIssues,
    gatekeeper: gatekeeperIssues,
  };
  return [
    ...targets.flatMap((t) => (p.targets[t].enabled ? issuesOf[t](p) : [])),
    ...(p.exceptions ?? []).flatMap((ex) => exceptionTargetIssues(p, ex, targets)),
  ];
}

/** Why each target cannot carry the exception whole (never a broader or narrower one instead), located at the exception. */
const CANNOT: Record<"rules" | "namespaceLabels", Record<TargetName, string>> = {
  rules: {
    kyverno: "a policies.kyverno.io PolicyException exempts a whole ValidatingPolicy (it names policies, not validations)",
    kubernetes: "a binding's exclusions and a policy's match conditions cover all of its validations",
    gatekeeper: "a Constraint's match covers its whole template",
  },
  namespaceLabels: {
    kyverno: "a PolicyException's match conditions see object, oldObject and request, not the namespace's labels",
    kubernetes:
      "only a namespace-label criterion alone, of one requirement, can go in the binding's namespaceSelector (match conditions see no namespace object, and a selector cannot say 'not both')",
    gatekeeper:
      "only a namespace-label criterion alone, of one requirement, can go in the Constraint's namespaceSelector (a selector cannot say 'not both')",
  },
};

function exceptionTargetIssues(p: Policy, ex: Exception, targets: readonly TargetName[]): Issue[] {
  const out: Issue[] = [];
  const refuse = (t: string, why: string, path: (string | number)[]) =>
    out.push(
      issue("unsupported_by_target", `${t}: exception "${ex.name}" on policy "${p.name}" cannot be emitted: ${why}`, ex.source, path),
    );
  for (const t of targets) {
    if (!p.targets[t].enabled) continue;
    if (exemptsSomeRules(p, ex)) {
      refuse(t, `${CANNOT.rules[t]}; exempt every rule, or split the policy`, ["rules"]);
      continue;
    }
    // (A legacy kyverno.io PolicyException could select namespaces by label, but `policyc test`
    // judges the ValidatingPolicy format, whose exceptions cannot: refused for both.)
    const expressible =
      t === "kyverno"
        ? !ex.match.namespaceSelector
        : t === "kubernetes"
          ? vapPlacement(ex) !== undefined
          : gatekeeperPlacement(ex) !== undefined;
    if (!expressible) refuse(t, CANNOT.namespaceLabels[t], ["match", "namespaceLabels"]);
  }
  return out;
}

/** What the targets refuse across policies: two policies whose Gatekeeper templates share a name. */
export function crossPolicyIssues(policies: readonly Policy[], targets: readonly TargetName[]): Issue[] {
  return targets.includes("gatekeeper") ? templateNameIssues(policies) : [];
}

/**
 * Every enabled target's documents for a lowered policy. A policy that opts out of a target
 * produces nothing for it.
 */
export function compilePolicy(
  p: Policy,
  targets: readonly TargetName[],
  kyvernoFormat: KyvernoFormat = "validating-policy",
  kyverno: KyvernoOptions = {},
): TargetOutput[] {
  const out: TargetOutput[] = [];
  for (const t of targets) {
    if (!p.targets[t].enabled) continue;
    switch (t) {
      case "kyverno":
        out.push(
          kyvernoFormat === "legacy"
            ? { target: "kyverno-legacy", policy: p.name, documents: toClusterPolicies(p, kyverno) }
            : { target: "kyverno", policy: p.name, documents: toValidatingPolicies(p, kyverno) },
        );
        break;
      case "kubernetes":
        out.push({ target: "kubernetes", policy: p.name, documents: toValidatingAdmissionPolicies(p) });
        break;
      case "gatekeeper":
        out.push({ target: "gatekeeper", policy: p.name, documents: toGatekeeper(p) });
        break;
    }
  }
  return out;
}

/** What the enabled targets cannot express of a mutation (`unsupported_by_target`, located); the CEL targets express every step. */
export function mutationTargetIssues(m: Mutation, targets: readonly TargetName[]): Issue[] {
  return targets.includes("gatekeeper") && m.targets.gatekeeper.enabled ? gatekeeperMutationIssues(m) : [];
}

/** A mutation's documents for each enabled target: Kyverno MutatingPolicy, MutatingAdmissionPolicy + binding, Gatekeeper mutators. */
export function compileMutation(m: Mutation, targets: readonly TargetName[]): TargetOutput[] {
  const out: TargetOutput[] = [];
  for (const t of targets) {
    if (!m.targets[t].enabled) continue;
    const documents =
      t === "kyverno" ? toMutatingPolicies(m) : t === "kubernetes" ? toMutatingAdmissionPolicies(m) : toGatekeeperMutators(m);
    out.push({ target: t, policy: m.name, documents, mutation: true });
  }
  return out;
}
