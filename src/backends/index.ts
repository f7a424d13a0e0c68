import type { Issue, Policy, TargetName } from "../ir/index.js";
import type { TargetOutput } from "./document/index.js";
import { gatekeeperIssues, templateNameIssues, toGatekeeper } from "./gatekeeper/index.js";
import { kubernetesIssues, toValidatingAdmissionPolicies } from "./kubernetes/index.js";
import { kyvernoIssues, toClusterPolicies, toValidatingPolicies } from "./kyverno/index.js";

export * from "./document/index.js";
export { toGatekeeper, constraintKind, toGatekeeperReview, toGatekeeperSyncConfig, type ReviewCompanion } from "./gatekeeper/index.js";
export { toValidatingAdmissionPolicies } from "./kubernetes/index.js";
export { toClusterPolicies, toValidatingPolicies } from "./kyverno/index.js";

export type KyvernoFormat = "validating-policy" | "legacy";

/** What the enabled targets cannot express faithfully for this policy: located `unsupported_by_target` issues. */
export function targetIssues(p: Policy, targets: readonly TargetName[]): Issue[] {
  const issuesOf: Record<TargetName, (p: Policy) => Issue[]> = {
    kyverno: kyvernoIssues,
    kubernetes: kubernetesIssues,
    gatekeeper: gatekeeperIssues,
  };
  return targets.flatMap((t) => (p.targets[t].enabled ? issuesOf[t](p) : []));
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
): TargetOutput[] {
  const out: TargetOutput[] = [];
  for (const t of targets) {
    if (!p.targets[t].enabled) continue;
    switch (t) {
      case "kyverno":
        out.push(
          kyvernoFormat === "legacy"
            ? { target: "kyverno-legacy", policy: p.name, documents: toClusterPolicies(p) }
            : { target: "kyverno", policy: p.name, documents: toValidatingPolicies(p) },
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
