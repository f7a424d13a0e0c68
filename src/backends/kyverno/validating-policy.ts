import { instanceName, isAdmissionOnly, type Enforcement, type Exception, type Policy } from "../../ir/index.js";
import { celSpecFields, exceptionCriteria, lowerToCel, toMatchConstraints } from "../../lower/cel/index.js";
import { kyvernoAutogens } from "../../kube/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";
import { exceptionMetadata, kyvernoAnnotations, type KyvernoOptions } from "./annotations.js";

const ACTIONS: Record<Enforcement, string[]> = { enforce: ["Deny"], audit: ["Audit"], warn: ["Warn"] };

/**
 * Kyverno `ValidatingPolicy` (policies.kyverno.io/v1), one per instance: a ValidatingPolicy
 * takes no params, so parameter values are inlined into the CEL. Pod controllers are covered
 * by the `pod` variable over `spec.template` / `spec.jobTemplate`, the same expressions the
 * Kubernetes output uses, so Kyverno's autogen is switched off explicitly wherever Kyverno would
 * apply it (a match on Pods alone, whatever the policy's subject).
 */
export function toValidatingPolicies(p: Policy, options: KyvernoOptions = {}): Document[] {
  return [...validatingPolicies(p), ...(p.exceptions ?? []).map((ex) => policyException(p, ex, options))];
}

/**
 * A `PolicyException` (policies.kyverno.io/v1) exempting every instance of the policy where all
 * the exception's criteria hold (one match condition each). `expires` is also Kyverno's own
 * `spec.expiresAt` (end of that day, UTC), which Kyverno's admission honours.
 */
function policyException(p: Policy, ex: Exception, options: KyvernoOptions): Document {
  return {
    apiVersion: "policies.kyverno.io/v1",
    kind: "PolicyException",
    metadata: exceptionMetadata(p, ex, options),
    spec: {
      policyRefs: p.instances.map((inst) => ({ name: instanceName(p.name, inst), kind: "ValidatingPolicy" })),
      matchConditions: exceptionCriteria(p, ex),
      ...(ex.expires ? { expiresAt: `${ex.expires}T23:59:59Z` } : {}),
    },
  };
}

function validatingPolicies(p: Policy): Document[] {
  return p.instances.map((inst) => {
    const cel = lowerToCel(p, inst);
    const matchConstraints = toMatchConstraints(p, inst.values);
    return {
      apiVersion: "policies.kyverno.io/v1",
      kind: "ValidatingPolicy",
      metadata: { name: instanceName(p.name, inst), labels: { ...MANAGED_BY }, annotations: kyvernoAnnotations(p) },
      spec: {
        validationActions: ACTIONS[p.enforcement],
        failurePolicy: "Fail",
        // Admission-only policies (old object, operation, user) cannot run in background scans.
        evaluation: { background: { enabled: !isAdmissionOnly(p) } },
        ...(p.subject === "pod" || kyvernoAutogens(matchConstraints) ? { autogen: { podControllers: { controllers: [] } } } : {}),
        matchConstraints,
        ...celSpecFields(cel),
      },
    };
  });
}
