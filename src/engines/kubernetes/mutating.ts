/**
 * The `kubernetes` engine's mutations: MutatingAdmissionPolicies with their bindings, applied by
 * the API server's own mutating admission policy code on the CEL runtime.
 */
import type { KubeObject } from "../../kube/index.js";
import { CompiledMutations, type CelRuntime } from "../cel/index.js";
import {
  documentsOf,
  type DocumentSet,
  type EngineRequest,
  type MutationAnswer,
  type MutationEngine,
  type Prepared,
} from "../verdict/index.js";

const MUTATING_GROUP = "admissionregistration.k8s.io/";
const isBindingOf = (name: string) => (d: KubeObject) =>
  d.kind === "MutatingAdmissionPolicyBinding" && (d as { spec?: { policyName?: unknown } }).spec?.policyName === name;

export class KubernetesMutationEngine implements MutationEngine {
  readonly name = "kubernetes" as const;
  private constructor(private readonly policies: CompiledMutations) {}

  /**
   * Every MutatingAdmissionPolicy of each set, compiled with the bindings that name it.
   * `bindUnbound`: a policy without a binding among the documents is bound to everything, as the
   * Kyverno CLI tests one.
   */
  static prepare(
    sets: readonly DocumentSet<KubeObject>[],
    context: { readonly runtime: CelRuntime; readonly bindUnbound?: boolean },
  ): Prepared<KubernetesMutationEngine> {
    const policies = new CompiledMutations(context.runtime, "MutatingAdmissionPolicy");
    for (const { doc, index, set } of documentsOf(sets)) {
      if (doc.kind !== "MutatingAdmissionPolicy" || !String(doc.apiVersion ?? "").startsWith(MUTATING_GROUP)) continue;
      const name = String(doc.metadata?.name ?? "");
      const bindings = sets.find((s) => s.id === set)!.documents.filter(isBindingOf(name));
      const unbound = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingAdmissionPolicyBinding",
        metadata: { name },
        spec: { policyName: name },
      };
      policies.add(set, index, name, doc, bindings.length || !context.bindUnbound ? bindings : [unbound]);
    }
    return { engine: new KubernetesMutationEngine(policies), problems: policies.problems };
  }

  has(policy: string, set?: string): boolean {
    return this.policies.has(policy, set);
  }

  mutate(request: EngineRequest): MutationAnswer {
    return this.policies.mutate(request);
  }

  release(): void {
    this.policies.release();
  }
}
