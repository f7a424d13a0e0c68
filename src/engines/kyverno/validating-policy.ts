/**
 * A Kyverno ValidatingPolicy (policies.kyverno.io) as the ValidatingAdmissionPolicy and binding
 * it corresponds to: the spec fields Kyverno shares with VAP (matchConstraints, matchConditions,
 * variables, validations, auditAnnotations, failurePolicy), and its validationActions on a
 * binding. `webhookConfiguration` only configures Kyverno's webhook and plays no part here.
 */
import type { KubeObject } from "../../kube/index.js";

export const VAP_API = "admissionregistration.k8s.io/v1";

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);

export interface PolicySpec {
  readonly [key: string]: unknown;
}

export function specOf(doc: KubeObject): PolicySpec {
  const spec = (doc as { spec?: unknown }).spec;
  return spec && typeof spec === "object" ? (spec as PolicySpec) : {};
}

/** A binding that puts a policy into effect with the given actions. */
export function bindingFor(name: string, actions: readonly string[]): KubeObject {
  return {
    apiVersion: VAP_API,
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name },
    spec: { policyName: name, validationActions: [...actions] },
  };
}

/** The VAP for a ValidatingPolicy's spec (or an autogen variant of it). */
export function vapOf(name: string, spec: PolicySpec): KubeObject {
  const pick = (k: string) => (spec[k] !== undefined ? { [k]: spec[k] } : {});
  return {
    apiVersion: VAP_API,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name },
    spec: {
      ...pick("matchConstraints"),
      ...pick("matchConditions"),
      ...pick("variables"),
      ...pick("validations"),
      ...pick("auditAnnotations"),
      ...pick("failurePolicy"),
    },
  };
}

/** The actions a ValidatingPolicy takes on a violation (Kyverno's default: Deny). */
export function validationActions(spec: PolicySpec): readonly string[] {
  const a = spec["validationActions"];
  return Array.isArray(a) && a.length ? a.map(String) : ["Deny"];
}

/** Whether the policy runs at admission (`evaluation.admission.enabled`, default true). */
export function runsAtAdmission(spec: PolicySpec): boolean {
  return get(spec, "evaluation", "admission", "enabled") !== false;
}

/** Whether the policy evaluates JSON payloads rather than Kubernetes requests (`evaluation.mode: JSON`). */
export function isJsonMode(spec: PolicySpec): boolean {
  return get(spec, "evaluation", "mode") === "JSON";
}
