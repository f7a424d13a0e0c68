/**
 * The one answer every engine gives for a policy and an admission request. A closed union, like
 * Kyverno's rule statuses: allow, deny (with the violations and the enforcement action), skip
 * (the policy does not apply, and why) or error (it could not decide, and why). Causes are typed
 * data; nothing downstream reads a message to decide anything.
 */

export type SkipCode =
  /** Kinds, operations, namespaces, names or selectors exclude the request. */
  | "not_matched"
  /** A match condition or precondition is false. */
  | "condition_false"
  /** The policy matched, but no binding or constraint puts it into effect for this request. */
  | "no_binding"
  /** An exception exempts the request. */
  | "exception"
  /** The policy is not evaluated at admission (or for this target) at all. */
  | "not_evaluated";

export interface SkipCause {
  readonly code: SkipCode;
  readonly detail: string;
}

export type ErrorCode =
  /** An expression failed while it ran (CEL `no such key`, a Rego runtime error). */
  | "evaluation_error"
  /** A user's template ran past the time limit. */
  | "timeout"
  /** A user's template ran out of memory. */
  | "out_of_memory"
  /** The document uses a construct policyc does not evaluate. */
  | "unsupported"
  /** The policy, constraint or template asked for is not among the prepared documents. */
  | "missing_document"
  /** (`apply`) An input document is not a Kubernetes object policyc can read. */
  | "invalid_input"
  /** (`apply`) An object holds a pod template no pod policy covers (a removed API version, a ReplicationController). */
  | "not_evaluated";

export interface ErrorCause {
  readonly code: ErrorCode;
  readonly detail: string;
}

export interface Violation {
  readonly message: string;
  /** The rule (or validation) that produced it, where the target names one. */
  readonly rule?: string;
  /** The field of the admitted object the violation is about (`["spec", "containers", 1, "image"]`), where the engine knows it. */
  readonly field?: readonly (string | number)[];
  /** Gatekeeper: the violation's `details` object, as the template wrote it. */
  readonly details?: unknown;
  /**
   * Found, but not what the target reports: Kyverno stops at a rule's first failing validation,
   * so its users only ever see that one. Kept so engines can still be compared violation by violation.
   */
  readonly unreported?: true;
}

export type Verdict =
  | { readonly kind: "allow" }
  | {
      readonly kind: "deny";
      /** The enforcement action(s) as the target names them: Gatekeeper `deny|dryrun|warn`, VAP/Kyverno `Deny|Audit|Warn`. */
      readonly actions: readonly string[];
      readonly violations: readonly Violation[];
    }
  | { readonly kind: "skip"; readonly cause: SkipCause }
  | { readonly kind: "error"; readonly cause: ErrorCause };

export const allow: Verdict = { kind: "allow" };
export const skip = (code: SkipCode, detail: string): Verdict => ({ kind: "skip", cause: { code, detail } });
export const failure = (code: ErrorCode, detail: string): Verdict => ({ kind: "error", cause: { code, detail } });

/** The messages of a deny, in order; none for the other verdicts. */
export const messagesOf = (v: Verdict): readonly string[] => (v.kind === "deny" ? v.violations.map((x) => x.message) : []);
/** The messages the target itself shows its users (Kyverno: a rule's first failing validation). */
export const reportedMessagesOf = (v: Verdict): readonly string[] =>
  v.kind === "deny" ? v.violations.filter((x) => !x.unreported).map((x) => x.message) : [];

/**
 * A problem with a document an engine was prepared with: where it is (the document's index in
 * the input, and the field inside it), and for compile errors the row and column inside that
 * field's text. Harnesses turn these into located issues.
 */
export interface DocumentProblem {
  readonly code: "invalid_document" | "compile_error";
  /** Index of the document in the list given to `prepare`. */
  readonly document: number;
  readonly field: readonly (string | number)[];
  readonly message: string;
  /** 1-based row and column inside the field's text (Rego or CEL source). */
  readonly position?: { readonly row: number; readonly col: number };
}
