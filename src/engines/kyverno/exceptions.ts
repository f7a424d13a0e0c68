/**
 * PolicyExceptions (Kyverno documentation "Policy Exceptions"). Two kinds are read:
 * - `policies.kyverno.io` PolicyException, for CEL policies: `spec.policyRefs` names the policies;
 *   it applies where every `spec.matchConditions` expression holds (all of them, as a VAP's match
 *   conditions).
 * - `kyverno.io` PolicyException, for ClusterPolicy rules: `spec.exceptions` lists
 *   `{policyName, ruleNames}` (wildcards allowed, autogen rule names included) and `spec.match`
 *   selects resources like a rule's match block, and users by its filters' `subjects`.
 */
import type { AdmissionRequest, KubeObject } from "../../kube/index.js";
import { CompiledVap, type CelRuntime } from "../cel/index.js";
import { parseFieldPath } from "../verdict/index.js";
import type { DocumentProblem } from "../verdict/index.js";
import { blockMatches, wildcardMatches } from "./match.js";
import { bindingFor, VAP_API } from "./validating-policy.js";

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);

/** What exceptions do to a policy on a request: exempt it (naming the exception), or allow values it reads as `exceptions`. */
export interface ExceptionOutcome {
  readonly exempt?: string;
  readonly allows?: ExceptionValues;
}

export interface ExceptionValues {
  readonly allowedImages: readonly string[];
  readonly allowedValues: readonly string[];
}

export class Exceptions {
  private constructor(
    private readonly documents: readonly KubeObject[],
    /** Each exception's match conditions compiled once, as a probe policy denying exactly when they hold. */
    private readonly probes: ReadonlyMap<KubeObject, CompiledVap>,
  ) {}

  /**
   * The PolicyExceptions among the documents; match conditions that do not compile are problems.
   * With `now` (Kyverno's admission), a policies.kyverno.io exception whose `spec.expiresAt` has
   * passed is left out, as Kyverno's admission path does (kyverno#16299); without it (the CLI,
   * background scans) it still applies, as there (kyverno#17473).
   */
  static prepare(
    documents: readonly KubeObject[],
    runtime: CelRuntime,
    now?: number,
  ): { exceptions: Exceptions; problems: DocumentProblem[] } {
    const probes = new Map<KubeObject, CompiledVap>();
    const problems: DocumentProblem[] = [];
    const exceptions: KubeObject[] = [];
    documents.forEach((ex, index) => {
      if (ex.kind !== "PolicyException") return;
      const expiresAt = get(ex, "spec", "expiresAt");
      if (
        now !== undefined &&
        ex.apiVersion?.startsWith("policies.kyverno.io/") &&
        typeof expiresAt === "string" &&
        Date.parse(expiresAt) < now
      )
        return;
      exceptions.push(ex);
      const conditions = get(ex, "spec", "matchConditions") as unknown[] | undefined;
      if (!ex.apiVersion?.startsWith("policies.kyverno.io/") || !conditions?.length) return;
      const name = `exception-${ex.metadata?.name}`;
      const policy = {
        apiVersion: VAP_API,
        kind: "ValidatingAdmissionPolicy",
        metadata: { name },
        spec: { matchConditions: conditions, validations: [{ expression: "false" }] },
      };
      const r = CompiledVap.compile(runtime, policy, [bindingFor(name, ["Deny"])]);
      if (r.ok) probes.set(ex, r.vap);
      else
        for (const p of r.problems)
          problems.push({ code: "compile_error", document: index, field: parseFieldPath(p.field), message: p.message });
    });
    return { exceptions: new Exceptions(exceptions, probes), problems };
  }

  /**
   * What the exceptions do to this policy (and rule) on the request (a JSON payload's, with
   * `payload`), as Kyverno's CEL engines apply policies.kyverno.io exceptions: one that matches
   * with neither `images` nor `allowedValues` exempts it (whatever the others allow); otherwise
   * the policy is evaluated with what the matching ones allow as `exceptions` (allowedImages,
   * allowedValues).
   */
  applying(policy: string, rule: string, object: KubeObject, req: AdmissionRequest, payload = false): ExceptionOutcome {
    const matched: KubeObject[] = [];
    for (const ex of this.documents) {
      if (ex.kind !== "PolicyException" || !ex.apiVersion?.startsWith("policies.kyverno.io/")) continue;
      const refs = (get(ex, "spec", "policyRefs") as { name?: string }[] | undefined) ?? [];
      if (refs.some((r) => r.name === policy) && this.conditionsHold(ex, req, payload)) matched.push(ex);
    }
    const strings = (ex: KubeObject, field: string) => ((get(ex, "spec", field) as unknown[] | undefined) ?? []).map(String);
    const full = matched.find((ex) => strings(ex, "images").length === 0 && strings(ex, "allowedValues").length === 0);
    if (full) return { exempt: String(full.metadata?.name ?? "") };
    if (matched.length)
      return {
        allows: {
          allowedImages: matched.flatMap((ex) => strings(ex, "images")),
          allowedValues: matched.flatMap((ex) => strings(ex, "allowedValues")),
        },
      };
    const exempt = this.ruleException(policy, rule, object, req);
    return exempt !== undefined ? { exempt } : {};
  }

  /** The name of the first exception that exempts this policy (and rule) for the request (a JSON payload's, with `payload`). */
  find(policy: string, rule: string, object: KubeObject, req: AdmissionRequest, payload = false): string | undefined {
    return this.applying(policy, rule, object, req, payload).exempt;
  }

  /** The first kyverno.io exception (ClusterPolicy rules) that exempts this policy's rule. */
  private ruleException(policy: string, rule: string, object: KubeObject, req: AdmissionRequest): string | undefined {
    for (const ex of this.documents) {
      if (ex.kind !== "PolicyException" || ex.apiVersion?.startsWith("policies.kyverno.io/")) continue;
      const entries = (get(ex, "spec", "exceptions") as { policyName?: string; ruleNames?: string[] }[] | undefined) ?? [];
      const names = entries.some(
        (e) =>
          wildcardMatches(String(e.policyName ?? ""), policy) &&
          (e.ruleNames ?? []).some((r) => [rule, rule.replace(/^autogen-(cronjob-)?/, "")].some((x) => wildcardMatches(r, x))),
      );
      if (names && blockMatches(get(ex, "spec", "match"), object, req, { subjects: true })) return String(ex.metadata?.name ?? "");
    }
    return undefined;
  }

  /** Whether the exception's match conditions hold on the request (a JSON payload's, with `payload`). */
  private conditionsHold(ex: KubeObject, req: AdmissionRequest, payload: boolean): boolean {
    const conditions = get(ex, "spec", "matchConditions") as unknown[] | undefined;
    if (!conditions?.length) return true;
    return this.probes.get(ex)?.evaluate(req, { payload }).kind === "deny";
  }
}
