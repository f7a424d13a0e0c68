/**
 * ValidatingPolicies in the Kyverno Authz Server's evaluation modes (`spec.evaluation.mode: HTTP`
 * or `Envoy`) on the CEL runtime (go/cel/authz): `object` is an HTTP request (http.CheckRequest)
 * or Envoy's external authorization request (envoy.service.auth.v3.CheckRequest), read from the
 * request's object; validations return a response that allows or denies, the first that is not
 * null deciding.
 */
import type { AdmissionRequest, KubeObject } from "../../kube/index.js";
import { failure, skip, type Verdict } from "../verdict/index.js";
import { admissionInput, clusterReadsOf } from "./admission.js";
import type { AuthzDecision, CelProblem } from "./protocol.js";
import type { CelRuntime } from "./runtime.js";

export type AuthzMode = "HTTP" | "Envoy";

/** The policy's Authz Server mode, if it is in one. */
export function authzModeOf(policy: KubeObject): AuthzMode | undefined {
  const mode = (policy as { spec?: { evaluation?: { mode?: unknown } } }).spec?.evaluation?.mode;
  return mode === "HTTP" || mode === "Envoy" ? mode : undefined;
}

export type CompileAuthzResult =
  { readonly ok: true; readonly policy: CompiledAuthz } | { readonly ok: false; readonly problems: readonly CelProblem[] };

let counter = 0;

/** An HTTP or Envoy policy compiled once on the CEL runtime, decided per request. */
export class CompiledAuthz {
  private constructor(
    private readonly runtime: CelRuntime,
    private readonly id: string,
  ) {}

  static compile(runtime: CelRuntime, policy: KubeObject): CompileAuthzResult {
    const id = `z${++counter}`;
    runtime.readsFrom(clusterReadsOf(policy, true));
    const r = runtime.call({ op: "compile-authz", id, policy });
    if (!r.ok)
      return { ok: false, problems: r.problems?.length ? r.problems : [{ field: "", message: r.error?.message ?? "does not compile" }] };
    return { ok: true, policy: new CompiledAuthz(runtime, id) };
  }

  release(): void {
    this.runtime.call({ op: "release", id: this.id });
  }

  /**
   * The policy's verdict on the request its object holds, as the Kyverno CLI reports it: allowed
   * is a pass, denied a fail (with the CLI's message), no decision a skip, an evaluation error an
   * error. A payload the mode cannot read (Envoy's CheckRequest is read as protobuf JSON, an
   * unknown field refused) is an input error, never a verdict.
   */
  authorize(req: AdmissionRequest): Verdict {
    const r = this.runtime.evaluate(this.id, req, (cluster) => admissionInput(req, cluster, true), "authorize");
    if (r.error) return failure(r.error.code === "invalid_document" ? "invalid_input" : "evaluation_error", r.error.message);
    const d = r.value as AuthzDecision;
    const message = d.message ?? "";
    switch (d.result) {
      case "allowed":
        return { kind: "allow" };
      case "denied":
        return { kind: "deny", actions: ["Deny"], violations: [{ message }] };
      case "error":
        return failure("evaluation_error", message);
      default:
        return skip("not_matched", message);
    }
  }
}
