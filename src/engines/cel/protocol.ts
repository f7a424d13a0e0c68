/**
 * The CEL runtime's protocol: the requests Node sends the Go side and the answers it gets, as
 * JSON. Mirrors go/cel/protocol (package protocol), whose Go types are the other half of this file.
 */
import type { AuthorizerAnswer, ExternalData, KubeObject, Operation, UserInfo } from "../../kube/index.js";

/** The admission request the API server's code sees: kind, resource, objects, user, namespaces, params. */
export interface CelAdmission {
  readonly operation: Operation;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly name: string;
  readonly namespace: string;
  readonly object?: KubeObject;
  readonly oldObject?: KubeObject;
  readonly dryRun: boolean;
  readonly userInfo?: UserInfo;
  /** Namespace objects, the request's among them (namespaceObject). */
  readonly namespaces: readonly KubeObject[];
  /** The objects a binding's paramRef selects from, and lookups see (when no `cluster` names them). */
  readonly params: readonly KubeObject[];
  /** A cluster registered with op `cluster`: its objects are the params and what lookups see. */
  readonly cluster?: string;
  /** The authorizer's answers, in order of preference. */
  readonly authorizer: readonly AuthorizerAnswer[];
  /** Kyverno: what a Kyverno CLI test's Context file gives the CEL libraries. */
  readonly kyverno?: ExternalData;
  /** Decode the objects' numbers as doubles (AdmissionRequest.numbersAsDoubles). */
  readonly floatNumbers?: boolean;
}

/** What an evaluation carries besides the admission: what PolicyExceptions allow (Kyverno's `exceptions`). */
export interface EvaluateExtras {
  readonly exceptions?: { readonly allowedImages: readonly string[]; readonly allowedValues: readonly string[] };
}

/** The operations on a compiled policy and a (held) admission request. */
export type EvaluateOp = "evaluate" | "mutate" | "authorize";

export type CelRequest =
  /** Compiles a ValidatingAdmissionPolicy with its bindings under an id; `kyverno` adds Kyverno's CEL libraries. */
  | {
      readonly op: "compile";
      readonly id: string;
      readonly policy: KubeObject;
      readonly bindings: readonly KubeObject[];
      readonly kyverno?: boolean;
    }
  /**
   * Evaluates the compiled policy `id` on an admission request. With `admissionKey`, the Go side
   * holds the request decoded under the key (dropping the previous one), and a later evaluate may
   * name the key alone instead of sending the request again.
   */
  // `mutate`: applies the compiled mutating policy `id` to the admission: `value` is the object after it.
  // `authorize`: the compiled HTTP or Envoy policy `id`'s decision on the request the admission's
  // object holds: `value` is an AuthzDecision.
  | ({ readonly op: EvaluateOp; readonly id: string; readonly admission: CelAdmission; readonly admissionKey?: string } & EvaluateExtras)
  | ({ readonly op: EvaluateOp; readonly id: string; readonly admissionKey: string } & EvaluateExtras)
  /**
   * Compiles a MutatingAdmissionPolicy (v1beta1 or v1; a Kyverno MutatingPolicy sends its
   * mutations in the same shape, with `kyverno`) with its bindings under an id.
   */
  | {
      readonly op: "compile-mutating";
      readonly id: string;
      readonly policy: KubeObject;
      readonly bindings: readonly KubeObject[];
      readonly kyverno?: boolean;
    }
  /** Compiles a ValidatingPolicy in the Kyverno Authz Server's HTTP or Envoy mode under an id (go/cel/authz). */
  | { readonly op: "compile-authz"; readonly id: string; readonly policy: KubeObject }
  /** Frees the compiled policy `id`. */
  | { readonly op: "release"; readonly id: string }
  /** Holds a cluster's objects under `id` (decoded and indexed once), for evaluate requests that name it. */
  | { readonly op: "cluster"; readonly id: string; readonly objects: readonly KubeObject[] }
  /** Drops the cluster `id`. */
  | { readonly op: "forget-cluster"; readonly id: string }
  /** Evaluates one expression with variables (the escaping and bridge tests). */
  | { readonly op: "expr"; readonly expression: string; readonly vars?: Readonly<Record<string, unknown>> }
  /** Counts of what the Go side holds and shares. */
  | { readonly op: "stats" }
  /** The Kubernetes CEL compatibility version. */
  | { readonly op: "version" };

/**
 * Why a request failed, as a code and a message:
 * - `bad_request`: the request is not one the Go side reads (policyc's bug);
 * - `unknown_policy`: evaluate or release of an id not compiled;
 * - `unknown_admission`: evaluate naming an admission key the Go side no longer holds;
 * - `invalid_document`: the policy or a binding does not decode as its Kubernetes type;
 * - `compile_error`: CEL that does not compile (the problems name each field);
 * - `evaluation_error`: an expression failed at run time (expr);
 * - `internal`: a panic in the Go side, recovered.
 */
export interface CelError {
  readonly code:
    "bad_request" | "unknown_policy" | "unknown_admission" | "invalid_document" | "compile_error" | "evaluation_error" | "internal";
  readonly message: string;
}

export interface CelProblem {
  readonly field: string;
  readonly message: string;
}

export interface CelDecision {
  readonly action: "admit" | "deny";
  readonly evaluation?: "admit" | "deny" | "error";
  readonly message?: string;
  readonly reason?: string;
}

export interface CelBindingResult {
  readonly binding: string;
  readonly matched: boolean;
  readonly validationActions?: readonly string[];
  readonly decisions?: readonly CelDecision[];
  readonly auditAnnotations?: readonly { key: string; value?: string; action: string; error?: string }[];
  readonly error?: string;
}

export interface CelResponse {
  readonly ok: boolean;
  readonly error?: CelError;
  readonly problems?: readonly CelProblem[];
  readonly matched?: boolean;
  readonly bindings?: readonly CelBindingResult[];
  readonly value?: unknown;
  readonly type?: string;
}

/**
 * An HTTP or Envoy policy's decision: the first validation's response that is not null allows or
 * denies; `none` when no match condition holds, every validation returns null, or an evaluation
 * fails under failurePolicy Ignore; `error` when one fails under Fail. `message` is the Kyverno
 * CLI's for it.
 */
export interface AuthzDecision {
  readonly result: "allowed" | "denied" | "none" | "error";
  readonly message?: string;
}
