/**
 * A MutatingAdmissionPolicy compiled once on the CEL runtime (go/cel/policy/mutate.go: the API
 * server's patchers, matcher and match conditions), applied per request. Kyverno's
 * MutatingPolicy is compiled the same way, with Kyverno's CEL libraries.
 */
import type { AdmissionRequest, KubeObject } from "../../kube/index.js";
import type { MutationAnswer } from "../verdict/index.js";
import { admissionInput } from "./admission.js";
import type { CelProblem } from "./protocol.js";
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
  mutate(req: AdmissionRequest): MutationAnswer {
    const r = this.runtime.call({ op: "mutate", id: this.id, admission: admissionInput(req, this.runtime.clusterId(req.cluster)) });
    if (r.error) return { kind: "error", message: r.error.message };
    if (!r.matched) return { kind: "skip" };
    return { kind: "mutated", object: r.value };
  }

  release(): void {
    this.runtime.call({ op: "release", id: this.id });
  }
}
