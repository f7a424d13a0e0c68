/**
 * The `kyverno` engine's mutations: Kyverno's MutatingPolicy (policies.kyverno.io). Kyverno
 * compiles a MutatingPolicy's mutations with the API server's patchers (ApplyConfiguration and
 * JSONPatch) in its CEL environment, its matchConstraints and matchConditions as a
 * MutatingAdmissionPolicy's: policyc runs the same code on the CEL runtime with Kyverno's
 * libraries. Not covered: Kyverno's autogen of a MutatingPolicy for pod controllers (a policy
 * that would autogen is a problem, never silently narrower), `targetMatchConstraints`
 * (mutating existing objects) and `evaluation.mutateExisting`.
 */
import { kyvernoAutogens, subjectObject, type KubeObject } from "../../kube/index.js";
import { CompiledMutations, type CelRuntime } from "../cel/index.js";
import { Exceptions } from "./exceptions.js";
import {
  documentsOf,
  type DocumentSet,
  type EngineRequest,
  type MutationAnswer,
  type MutationEngine,
  type Prepared,
  type SetProblem,
} from "../verdict/index.js";

type Spec = Record<string, unknown> & { autogen?: { podControllers?: { controllers?: unknown } } };

/** What policyc does not evaluate of a MutatingPolicy, each as a problem at its field. */
function unsupported(spec: Spec): { field: string[]; message: string }[] {
  const out: { field: string[]; message: string }[] = [];
  const controllers = spec.autogen?.podControllers?.controllers;
  if (kyvernoAutogens(spec.matchConstraints) && !(Array.isArray(controllers) && controllers.length === 0))
    out.push({
      field: ["spec", "autogen"],
      message:
        "Kyverno would autogen this MutatingPolicy for pod controllers, which policyc does not evaluate: set spec.autogen.podControllers.controllers: [] and match the controllers",
    });
  if (spec.targetMatchConstraints !== undefined)
    out.push({ field: ["spec", "targetMatchConstraints"], message: "mutating existing objects is not evaluated by policyc" });
  return out;
}

export class KyvernoMutationEngine implements MutationEngine {
  readonly name = "kyverno" as const;
  private constructor(
    private readonly policies: CompiledMutations,
    /** Each set's PolicyExceptions (their problems are the validating engine's to report). */
    private readonly exceptions: ReadonlyMap<string, Exceptions>,
  ) {}

  static prepare(sets: readonly DocumentSet<KubeObject>[], context: { readonly runtime: CelRuntime }): Prepared<KyvernoMutationEngine> {
    const policies = new CompiledMutations(context.runtime, "MutatingPolicy");
    const problems: SetProblem[] = [];
    const exceptions = new Map<string, Exceptions>();
    for (const set of sets)
      if (set.documents.some((d) => d.kind === "PolicyException"))
        exceptions.set(set.id, Exceptions.prepare(set.documents, context.runtime).exceptions);
    for (const { doc, index, set } of documentsOf(sets)) {
      if (doc.kind !== "MutatingPolicy" || !String(doc.apiVersion ?? "").startsWith("policies.kyverno.io/")) continue;
      const name = String(doc.metadata?.name ?? "");
      const spec = ((doc as { spec?: unknown }).spec ?? {}) as Spec;
      const refused = unsupported(spec);
      if (refused.length) {
        for (const r of refused) problems.push({ set, document: index, code: "invalid_document", field: r.field, message: r.message });
        continue;
      }
      // The MutatingAdmissionPolicy fields Kyverno's MutatingPolicy shares, bound once with no selection of its own.
      const { matchConstraints, matchConditions, mutations, variables, failurePolicy } = spec;
      const policy: KubeObject = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingAdmissionPolicy",
        metadata: { name },
        spec: { matchConstraints, matchConditions, mutations, variables, failurePolicy, reinvocationPolicy: "Never" },
      };
      const binding: KubeObject = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingAdmissionPolicyBinding",
        metadata: { name },
        spec: { policyName: name },
      };
      policies.add(set, index, name, policy, [binding], true);
    }
    return { engine: new KyvernoMutationEngine(policies, exceptions), problems: [...problems, ...policies.problems] };
  }

  has(policy: string, set?: string): boolean {
    return this.policies.has(policy, set);
  }

  /**
   * The policy's mutation of the request, with its PolicyExceptions as Kyverno's MutatingPolicy
   * engine reads them: one that matches with neither `images` nor `allowedValues` leaves the
   * request alone (skip); otherwise what the matching ones allow is `exceptions`.
   */
  mutate(request: EngineRequest): MutationAnswer {
    const exceptions = this.exceptions.get(request.set ?? "");
    const object = subjectObject(request.admission) ?? {};
    const outcome = exceptions?.applying(request.policy, "", object, request.admission) ?? {};
    if (outcome.exempt) return { kind: "skip" };
    return this.policies.mutate(request, outcome.allows ? { exceptions: outcome.allows } : {});
  }

  release(): void {
    this.policies.release();
  }
}
