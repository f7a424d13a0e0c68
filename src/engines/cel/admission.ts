/**
 * ValidatingAdmissionPolicy and Kyverno ValidatingPolicy evaluation on the CEL engine. The
 * policy's match, match conditions, variables, validations, messages, audit annotations,
 * failurePolicy and params are the API server's own code (go/cel/engine.go); this side builds the
 * request the API server would see and reads the decisions.
 */
import { BUILTIN_KINDS } from "../../ir/index.js";
import { groupVersionOf, subjectObject, type AdmissionRequest, type KubeObject } from "../request.js";
import type { CelBindingResult, CelProblem, CelRuntime } from "./runtime.js";

/** The resource (plural) of a kind: the built-in table, else the API's own pluralisation rule. */
export function resourceOf(kind: string, group: string): string {
  const known = Object.values(BUILTIN_KINDS).find((k) => k.kind === kind && k.group === group);
  if (known) return known.resource;
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The admission input for the Go side: kind, resource, name, namespace, objects, user, cluster. */
export function admissionInput(req: AdmissionRequest): Record<string, unknown> {
  const o = subjectObject(req) ?? {};
  const { group, version } = groupVersionOf(o.apiVersion);
  const kind = o.kind ?? "";
  const namespaces = Object.values(req.cluster?.namespaces ?? {});
  return {
    operation: req.operation,
    kind: { group, version, kind },
    resource: { group, version, resource: resourceOf(kind, group) },
    name: o.metadata?.name ?? "",
    namespace: o.metadata?.namespace ?? "",
    ...(req.operation !== "DELETE" && req.object ? { object: req.object } : {}),
    ...(req.oldObject ? { oldObject: req.oldObject } : {}),
    dryRun: req.dryRun ?? false,
    userInfo: { username: "policyc-test", groups: ["system:authenticated"], ...(req.userInfo ?? {}) },
    namespaces,
    params: req.cluster?.objects ?? [],
    authorizer: req.authorizer ?? [],
  };
}

export type CelVerdict =
  | { readonly verdict: "none"; readonly reason: string }
  | { readonly verdict: "allow"; readonly bindings: readonly CelBindingResult[] }
  | {
      readonly verdict: "deny";
      readonly messages: readonly string[];
      readonly actions: readonly string[];
      readonly bindings: readonly CelBindingResult[];
    }
  | { readonly verdict: "error"; readonly reason: string };

export class CelCompileError extends Error {
  constructor(
    readonly policy: string,
    readonly problems: readonly CelProblem[],
  ) {
    super(`${policy}: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`);
    this.name = "CelCompileError";
  }
}

let counter = 0;

/** A ValidatingAdmissionPolicy compiled once on the CEL runtime, evaluated per request. */
export class CompiledVap {
  private constructor(
    private readonly runtime: CelRuntime,
    private readonly id: string,
    readonly name: string,
  ) {}

  /**
   * Compiles the policy; type errors are CelCompileError naming the field and column. `kyverno`
   * adds Kyverno's CEL libraries (go/cel/kyverno.go) for ValidatingPolicy and validate.cel.
   */
  static compile(
    runtime: CelRuntime,
    policy: KubeObject,
    bindings: readonly KubeObject[],
    options: { kyverno?: boolean } = {},
  ): CompiledVap {
    const id = `p${++counter}`;
    const name = String(policy.metadata?.name ?? "");
    // The bindings go with the policy, decoded once on the Go side, not with every request.
    const r = runtime.call({ op: "compile", id, policy, bindings, ...(options.kyverno ? { kyverno: true } : {}) });
    if (r.error) throw new Error(`${name}: ${r.error}`);
    if (!r.ok) throw new CelCompileError(name, r.problems ?? []);
    return new CompiledVap(runtime, id, name);
  }

  /** Frees the compiled programs on the Go side; the object must not be used afterwards. */
  release(): void {
    this.runtime.call({ op: "release", id: this.id });
  }

  evaluate(req: AdmissionRequest): CelVerdict {
    const r = this.runtime.call({ op: "evaluate", id: this.id, admission: admissionInput(req) });
    if (r.error) return { verdict: "error", reason: r.error };
    if (!r.matched) return { verdict: "none", reason: "matchConstraints do not match the request" };
    const bound = (r.bindings ?? []).filter((b) => b.matched || b.error);
    if (bound.length === 0) return { verdict: "none", reason: "no binding matches the request" };
    // An evaluation error denies under failurePolicy Fail (reported as an error: the policy could
    // not decide) and admits under Ignore (the API server's decision, kept).
    const errors = bound.flatMap((b) => [
      ...(b.error ? [b.error] : []),
      ...(b.decisions ?? []).filter((d) => d.evaluation === "error" && d.action === "deny").map((d) => d.message ?? "evaluation error"),
    ]);
    if (errors.length) return { verdict: "error", reason: errors.join("; ") };
    const decided = bound.filter((b) => (b.decisions ?? []).length > 0);
    if (decided.length === 0) return { verdict: "none", reason: "matchConditions are false" };
    const denies = decided.flatMap((b) => (b.decisions ?? []).filter((d) => d.action === "deny").map((d) => ({ d, b })));
    if (denies.length === 0) return { verdict: "allow", bindings: bound };
    return {
      verdict: "deny",
      messages: denies.map(({ d }) => d.message ?? ""),
      actions: [...new Set(denies.flatMap(({ b }) => b.validationActions ?? []))],
      bindings: bound,
    };
  }
}

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);

/**
 * A Kyverno ValidatingPolicy (policies.kyverno.io/v1) as the ValidatingAdmissionPolicy and
 * binding it corresponds to: the spec fields Kyverno shares with VAP (matchConstraints,
 * matchConditions, variables, validations, auditAnnotations, failurePolicy), and its
 * validationActions on a binding. `evaluation.admission.enabled: false` policies do not run at
 * admission; `webhookConfiguration` only configures Kyverno's webhook and is ignored here.
 */
export function validatingPolicyAsVap(vp: KubeObject): { policy: KubeObject; binding: KubeObject; admission: boolean } {
  const spec = (vp as { spec?: Record<string, unknown> }).spec ?? {};
  const name = String(vp.metadata?.name ?? "");
  const pick = (k: string) => (spec[k] !== undefined ? { [k]: spec[k] } : {});
  const policy: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
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
  const actions = (spec.validationActions as string[] | undefined) ?? ["Deny"];
  const binding: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name },
    spec: { policyName: name, validationActions: actions },
  };
  return { policy, binding, admission: get(spec, "evaluation", "admission", "enabled") !== false };
}
