/**
 * ValidatingAdmissionPolicy evaluation on the CEL runtime. The policy's match, match conditions,
 * variables, validations, messages, audit annotations, failurePolicy and params are the API
 * server's own code (go/cel/); this side builds the request the API server would see and turns
 * its decisions into a verdict.
 */
import { groupVersionOf, resourceOf, sentUserInfo, subjectObject, type AdmissionRequest, type KubeObject } from "../../kube/index.js";
import { failure, skip, type Verdict, type Violation } from "../verdict/index.js";
import type { CelAdmission, CelBindingResult, CelProblem, EvaluateExtras } from "./protocol.js";
import type { CelRuntime } from "./runtime.js";

/**
 * The admission input for the Go side: kind, resource, name, namespace, objects, user, cluster.
 * `cluster`: the id of the request's cluster registered on the Go side (CelRuntime.clusterId),
 * whose objects are then the params and what lookups see.
 */
export function admissionInput(req: AdmissionRequest, cluster?: string, payload = false): CelAdmission {
  const o = subjectObject(req) ?? {};
  const { group, version } = groupVersionOf(o.apiVersion);
  const kind = o.kind ?? "";
  // A payload is a document, not a Kubernetes object: it has no name or namespace, so no namespace
  // object. (Its kind, if it has one, is kept: the request's kind is the object's, not converted.)
  const ns = payload ? undefined : o.metadata?.namespace;
  // Only the request's Namespace: matching (namespaceSelector) and namespaceObject read it alone,
  // and a request carrying every Namespace of a large cluster costs more the larger the cluster.
  const own = ns ? req.cluster?.namespaces?.[ns] : undefined;
  const namespaces = own ? [own] : [];
  return {
    operation: req.operation,
    kind: { group, version, kind },
    resource: { group, version, resource: resourceOf(kind, group) },
    name: payload ? "" : (o.metadata?.name ?? ""),
    namespace: ns ?? "",
    ...(req.operation !== "DELETE" && req.object ? { object: req.object } : {}),
    ...(req.oldObject ? { oldObject: req.oldObject } : {}),
    dryRun: req.dryRun ?? false,
    userInfo: sentUserInfo(req.userInfo),
    namespaces,
    ...(cluster ? { cluster, params: [] } : { params: req.cluster?.objects ?? [] }),
    authorizer: req.authorizer ?? [],
    ...(req.cluster?.external ? { kyverno: req.cluster.external } : {}),
    ...(req.numbersAsDoubles ? { floatNumbers: true } : {}),
  };
}

/**
 * Lookup functions of Kyverno's CEL libraries whose first two arguments are an apiVersion and a
 * resource: with literal arguments, the resource a policy reads; otherwise it may read anything.
 */
const LOOKUP_CALL = /\b(?:resource\.(?:Get|List)|context\.(?:GetResource|ListResources))\s*\(/g;
const LITERAL_ARGS = /^\s*(["'])([^"'\\]*)\1\s*,\s*(["'])([^"'\\]*)\3/;

/**
 * What a policy can read of a cluster besides Namespaces: its paramKind's objects, and with
 * Kyverno's libraries the resources its lookups name (any, when a lookup's arguments are not
 * literals). Read from every string of the policy: an expression that is no CEL costs a false
 * positive only.
 */
export function clusterReadsOf(policy: KubeObject, kyverno: boolean): { all: boolean; resources: string[] } {
  const resources: string[] = [];
  let all = false;
  const paramKind = (policy as { spec?: { paramKind?: { apiVersion?: string; kind?: string } } }).spec?.paramKind;
  if (paramKind?.kind)
    resources.push(`${paramKind.apiVersion ?? ""}\0${resourceOf(paramKind.kind, groupVersionOf(paramKind.apiVersion).group)}`);
  if (!kyverno) return { all, resources };
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(policy);
  for (const text of strings) {
    if (/\bcontext\.GetConfigMap\s*\(/.test(text)) resources.push("v1\0configmaps");
    for (const m of text.matchAll(LOOKUP_CALL)) {
      const args = LITERAL_ARGS.exec(text.slice(m.index + m[0].length));
      if (args) resources.push(`${args[2]}\0${args[4]}`);
      else all = true;
    }
  }
  return { all, resources };
}

/** A policy the CEL runtime would not compile: its problems, each naming the field. */
export type CompileResult =
  { readonly ok: true; readonly vap: CompiledVap } | { readonly ok: false; readonly problems: readonly CelProblem[] };

let counter = 0;

/**
 * How a policy's decisions become a verdict.
 * - `vap`: the API server's: every validation is evaluated; an evaluation error denies under
 *   failurePolicy Fail (reported as an error: the policy could not decide) and admits under Ignore.
 * - `kyverno-validating-policy`: Kyverno's ValidatingPolicy engine (pkg/cel/policies/vpol):
 *   validations in order, the first that errs gives `error` whatever the failurePolicy, the first
 *   that fails gives `fail` with its message alone; a match condition that errs gives `error`
 *   under Fail and no match under Ignore.
 * - `kyverno-cluster-policy`: Kyverno's validate.cel handler (pkg/engine/handlers/validation):
 *   the API server's validator built with no failure policy, so Fail: the first decision that
 *   denies, an evaluation error included, gives `fail` with its message.
 */
export type Outcome = "vap" | "kyverno-validating-policy" | "kyverno-cluster-policy";

/** A ValidatingAdmissionPolicy compiled once on the CEL runtime, evaluated per request. */
export class CompiledVap {
  private constructor(
    private readonly runtime: CelRuntime,
    private readonly id: string,
    readonly name: string,
    private readonly outcome: Outcome,
  ) {}

  /**
   * Compiles the policy with its bindings; type errors come back as problems naming the field and
   * column. `kyverno` adds Kyverno's CEL libraries (go/cel/kyverno.go); `outcome` says how
   * decisions become a verdict (default `vap`).
   */
  static compile(
    runtime: CelRuntime,
    policy: KubeObject,
    bindings: readonly KubeObject[],
    options: { kyverno?: boolean; outcome?: Outcome } = {},
  ): CompileResult {
    const id = `p${++counter}`;
    const name = String(policy.metadata?.name ?? "");
    runtime.readsFrom(clusterReadsOf(policy, options.kyverno === true));
    // The bindings go with the policy, decoded once on the Go side, not with every request.
    const r = runtime.call({ op: "compile", id, policy, bindings, ...(options.kyverno ? { kyverno: true } : {}) });
    if (!r.ok) {
      // Nothing will evaluate it: the Go side forgets it now (in a long run, a leak otherwise).
      runtime.call({ op: "release", id });
      return { ok: false, problems: r.problems?.length ? r.problems : [{ field: "", message: r.error?.message ?? "does not compile" }] };
    }
    return { ok: true, vap: new CompiledVap(runtime, id, name, options.outcome ?? "vap") };
  }

  /** Frees the compiled programs on the Go side; the object must not be used afterwards. */
  release(): void {
    this.runtime.call({ op: "release", id: this.id });
  }

  /**
   * The policy's verdict on the request. `payload`: the request's object is a JSON document, not a
   * Kubernetes object (Kyverno's JSON evaluation mode): it is `object` and nothing else is known
   * of it, so the request has no name or namespace (and no namespace object). `exceptions`: what
   * PolicyExceptions allow (Kyverno's `exceptions` variable).
   */
  evaluate(req: AdmissionRequest, options: { payload?: boolean } & EvaluateExtras = {}): Verdict {
    const extras = options.exceptions ? { exceptions: options.exceptions } : {};
    const r = this.runtime.evaluate(this.id, req, (cluster) => admissionInput(req, cluster, options.payload === true), "evaluate", extras);
    if (r.error) return failure("evaluation_error", r.error.message);
    if (!r.matched) return skip("not_matched", "matchConstraints do not match the request");
    const bound = (r.bindings ?? []).filter((b) => b.matched || b.error);
    if (bound.length === 0) return skip("no_binding", "no binding matches the request");
    if (this.outcome !== "vap") return this.kyvernoVerdict(bound);
    // An evaluation error denies under failurePolicy Fail (reported as an error: the policy could
    // not decide) and admits under Ignore (the API server's decision, kept).
    const errors = bound.flatMap((b) => [
      ...(b.error ? [b.error] : []),
      ...(b.decisions ?? []).filter((d) => d.evaluation === "error" && d.action === "deny").map((d) => d.message ?? "evaluation error"),
    ]);
    if (errors.length) return failure("evaluation_error", errors.join("; "));
    const decided = bound.filter((b) => (b.decisions ?? []).length > 0);
    if (decided.length === 0) return skip("condition_false", "matchConditions are false");
    const denies = decided.flatMap((b) => (b.decisions ?? []).filter((d) => d.action === "deny").map((d) => ({ d, b })));
    if (denies.length === 0) return { kind: "allow" };
    return {
      kind: "deny",
      actions: [...new Set(denies.flatMap(({ b }) => b.validationActions ?? []))],
      violations: denies.map(({ d }) => ({ message: d.message ?? "" })),
    };
  }

  /**
   * Kyverno's reading of the decisions (see Outcome): the first decision that is not an admit
   * decides. Later failing validations, which Kyverno never evaluates, are kept as unreported
   * violations so the engines can still be compared.
   */
  private kyvernoVerdict(bound: readonly CelBindingResult[]): Verdict {
    const binding = bound.find((b) => b.error);
    if (binding?.error) return failure("evaluation_error", binding.error);
    const decided = bound.filter((b) => (b.decisions ?? []).length > 0);
    if (decided.length === 0) return skip("condition_false", "matchConditions are false");
    const violations: Violation[] = [];
    const actions = new Set<string>();
    for (const b of decided) {
      for (const d of b.decisions ?? []) {
        const errs = d.evaluation === "error";
        const denies = d.action === "deny" && !(errs && this.outcome === "kyverno-validating-policy");
        if (violations.length === 0 && errs && !denies) return failure("evaluation_error", d.message ?? "evaluation error");
        if (!denies || (errs && violations.length > 0)) continue;
        violations.push({ message: d.message ?? "", ...(violations.length > 0 ? { unreported: true as const } : {}) });
        for (const a of b.validationActions ?? []) actions.add(a);
      }
    }
    return violations.length ? { kind: "deny", actions: [...actions], violations } : { kind: "allow" };
  }
}
