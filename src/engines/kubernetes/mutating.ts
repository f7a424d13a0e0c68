/**
 * The `kubernetes` engine's mutations: MutatingAdmissionPolicies with their bindings, applied by
 * the API server's own mutating admission policy code on the CEL runtime.
 */
import type { KubeObject } from "../../kube/index.js";
import { CompiledMutation, type CelRuntime } from "../cel/index.js";
import {
  documentsOf,
  parseFieldPath,
  setKey,
  type DocumentSet,
  type EngineRequest,
  type MutationAnswer,
  type MutationEngine,
  type Prepared,
  type SetProblem,
} from "../verdict/index.js";

const MUTATING_GROUP = "admissionregistration.k8s.io/";

export class KubernetesMutationEngine implements MutationEngine {
  readonly name = "kubernetes" as const;
  private constructor(private readonly policies: ReadonlyMap<string, CompiledMutation>) {}

  /** Every MutatingAdmissionPolicy of each set, compiled with the bindings that name it. */
  /** `bindUnbound`: a policy without a binding among the documents is bound to everything, as the Kyverno CLI tests one. */
  static prepare(
    sets: readonly DocumentSet<KubeObject>[],
    context: { readonly runtime: CelRuntime; readonly bindUnbound?: boolean },
  ): Prepared<KubernetesMutationEngine> {
    const policies = new Map<string, CompiledMutation>();
    const problems: SetProblem[] = [];
    for (const { doc, index, set } of documentsOf(sets)) {
      if (doc.kind !== "MutatingAdmissionPolicy" || !String(doc.apiVersion ?? "").startsWith(MUTATING_GROUP)) continue;
      const name = String(doc.metadata?.name ?? "");
      const documents = sets.find((s) => s.id === set)!.documents;
      const bindings = documents.filter(
        (d) => d.kind === "MutatingAdmissionPolicyBinding" && (d as { spec?: { policyName?: unknown } }).spec?.policyName === name,
      );
      const bound =
        bindings.length || !context.bindUnbound
          ? bindings
          : [
              {
                apiVersion: "admissionregistration.k8s.io/v1",
                kind: "MutatingAdmissionPolicyBinding",
                metadata: { name },
                spec: { policyName: name },
              },
            ];
      const r = CompiledMutation.compile(context.runtime, doc, bound);
      if (!r.ok) {
        for (const p of r.problems)
          problems.push({ set, document: index, code: "compile_error", field: p.field ? parseFieldPath(p.field) : [], message: p.message });
        continue;
      }
      policies.set(setKey(set, name), r.mutation);
    }
    return { engine: new KubernetesMutationEngine(policies), problems };
  }

  has(policy: string, set?: string): boolean {
    return this.policies.has(setKey(set, policy));
  }

  mutate(request: EngineRequest): MutationAnswer {
    const m = this.policies.get(setKey(request.set, request.policy));
    if (!m) return { kind: "error", message: `no MutatingAdmissionPolicy named ${request.policy}` };
    return m.mutate(request.admission);
  }

  release(): void {
    for (const m of this.policies.values()) m.release();
  }
}
