import type { IssueCode, SourceLocation } from "../ir/index.js";
import { callerLocation } from "./source.js";

const SDK_ERROR = Symbol.for("policyc.sdk-error");

/**
 * A mistake in a policy definition, found while its rules are built: where the offending SDK call
 * is (its line and column in the policy file), and a stable code. `definePolicy` turns it into a
 * located issue; it never escapes to the user as a stack trace.
 */
export class SdkError extends Error {
  override name = "SdkError";
  readonly [SDK_ERROR] = true;
  readonly code: IssueCode;
  readonly source: SourceLocation;
  // No parameter properties: policy files load the SDK with types stripped, not transformed.
  constructor(code: IssueCode, message: string, source: SourceLocation = callerLocation()) {
    super(message);
    this.code = code;
    this.source = source;
  }
}

/**
 * An SdkError, from this copy of the SDK or another: a policy file imports the installed
 * `policyc` while the CLI may run from its sources (tests), and `instanceof` tells them apart.
 */
export function isSdkError(e: unknown): e is SdkError {
  return e instanceof Error && (e as { [SDK_ERROR]?: unknown })[SDK_ERROR] === true;
}
