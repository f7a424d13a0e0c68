/**
 * A MutatingAdmissionPolicy compiled once on the CEL runtime (go/cel/policy/mutate.go: the API
 * server's patchers, matcher and match conditions), applied per request. Kyverno's
 * MutatingPolicy is compiled the same way, with Kyverno's CEL libraries.
 */
import type { AdmissionRequest, KubeObject } from "../../kube/index.js";
import { parseFieldPath, setKey, type EngineRequest, type MutationAnswer, type SetProblem } from "../verdict/index.js";
import { admissionInput } from "./admission.js";
import type { CelProblem, EvaluateExtras } from "./protocol.js";
import type { CelRuntime } from "./runtime.js";

let counter = 0;

export type CompileMutationResult =
  { readonly ok: true; readonly mutation: CompiledMutation } | { readonly ok: false; readonly problems: readonly CelProblem[] };

export class CompiledMutation {
  private constructor(
    private readonly runtime: CelRuntime,
    private readonly id: string,
  ) {}

  static compile(runtime: CelRuntime, policy: KubeObject, bindings: readonly KubeObject[], kyverno = false): CompileMutationResult {
    const id = `m${++counter}`;
    const r = runtime.call({ op: "compile-mutating", id, policy, bindings, ...(kyverno ? { kyverno: true } : {}) });
    if (!r.ok) {
      runtime.call({ op: "release", id });
      return { ok: false, problems: r.problems?.length ? r.problems : [{ field: "", message: r.error?.message ?? "does not compile" }] };
    }
    return { ok: true, mutation: new CompiledMutation(runtime, id) };
  }

  /** The object after the policy's mutations, `skip` when it does not apply, or the error the API server's code gave. */
  mutate(req: AdmissionRequest, extras: EvaluateExtras = {}): MutationAnswer {
    // Sent once for the engines that mutate the same request in a row (the kubernetes and kyverno
    // engines share the compile and the answer of the same policy: go/cel/policy/mutate.go).
    const r = this.runtime.evaluate(this.id, req, (cluster) => admissionInput(req, cluster), "mutate", extras);
    if (r.error) return { kind: "error", message: r.error.message };
    if (!r.matched) return { kind: "skip" };
    return { kind: "mutated", object: r.value };
  }

  release(): void {
    this.runtime.call({ op: "release", id: this.id });
  }
}

/**
 * The compiled mutations an engine holds, by set and name (the kubernetes engine's
 * MutatingAdmissionPolicies, the kyverno engine's MutatingPolicies), with the problems of the
 * documents that did not compile, each at its document.
 */
export class CompiledMutations {
  private readonly byKey = new Map<string, CompiledMutation>();
  readonly problems: SetProblem[] = [];

  constructor(
    private readonly runtime: CelRuntime,
    /** What a request naming no compiled policy is told: "no <kind> named …". */
    private readonly kind: string,
  ) {}

  /** Compiles the policy of the set's document `index` under `name`; its compile errors become problems at their fields. */
  add(set: string, index: number, name: string, policy: KubeObject, bindings: readonly KubeObject[], kyverno = false): void {
    const r = CompiledMutation.compile(this.runtime, policy, bindings, kyverno);
    if (!r.ok) {
      for (const p of r.problems)
        this.problems.push({
          set,
          document: index,
          code: "compile_error",
          field: p.field ? parseFieldPath(p.field) : [],
          message: p.message,
        });
      return;
    }
    this.byKey.set(setKey(set, name), r.mutation);
  }

  has(policy: string, set?: string): boolean {
    return this.byKey.has(setKey(set, policy));
  }

  /** `extras`: what PolicyExceptions allow the policy on this request (Kyverno's `exceptions`). */
  mutate(request: EngineRequest, extras: EvaluateExtras = {}): MutationAnswer {
    const m = this.byKey.get(setKey(request.set, request.policy));
    return m ? m.mutate(request.admission, extras) : { kind: "error", message: `no ${this.kind} named ${request.policy}` };
  }

  release(): void {
    for (const m of this.byKey.values()) m.release();
  }
}
