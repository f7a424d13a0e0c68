import type { SourceLocation } from "./types.js";

/**
 * Stable issue codes: tests and reporters match on these, never on message text. Each layer
 * declares the codes it raises, in its own `issue-codes.ts`, by adding to this interface (module
 * augmentation); `IssueCode` is all of them. The IR's own: the model's validation, and the code
 * every target reports when it cannot carry a construct faithfully.
 */
export interface IssueCodes {
  invalid_policy: true;
  invalid_name: true;
  duplicate_policy_name: true;
  duplicate_rule_name: true;
  unknown_kind: true;
  unknown_field: true;
  invalid_regex: true;
  invalid_quantity: true;
  unsupported_operator: true;
  invalid_params: true;
  invalid_exception: true;
  message_variable_out_of_scope: true;
  unsupported_by_target: true;
  /** Values of types that can never meet (a number field compared with a string parameter). */
  type_mismatch: true;
  /** A lookup of other objects that cannot be made or can never match (a namespace for a cluster-scoped kind, a label no object can carry). */
  invalid_lookup: true;
}

export type IssueCode = keyof IssueCodes;

export type IssueSeverity = "error" | "warning";

export interface Issue {
  readonly code: IssueCode;
  readonly message: string;
  readonly severity: IssueSeverity;
  readonly source?: SourceLocation;
  /** The file, when no line is known (a missing file, an empty one); `source` otherwise. */
  readonly file?: string;
  /** Path of the offending field inside the policy definition, e.g. `["rules", 0, "message"]`. */
  readonly path: readonly (string | number)[];
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly Issue[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(issues: readonly Issue[]): Result<T> => ({ ok: false, issues: sortIssues(issues) });

export function issue(
  code: IssueCode,
  message: string,
  source: SourceLocation | undefined,
  path: readonly (string | number)[] = [],
): Issue {
  return source ? { code, message, severity: "error", source, path } : { code, message, severity: "error", path };
}

/** Sorted by file, line and column, as OPA's `ast.Errors` does; unlocated issues last. */
export function sortIssues(issues: readonly Issue[]): Issue[] {
  return [...issues].sort((a, b) => {
    if (!a.source || !b.source) return a.source ? -1 : b.source ? 1 : (a.file ?? "\uffff").localeCompare(b.file ?? "\uffff");
    return a.source.file.localeCompare(b.source.file) || a.source.line - b.source.line || a.source.column - b.source.column;
  });
}

/** The one formatter for issues: `file:line:col code message (at path)`. */
export function formatIssue(i: Issue): string {
  const where = i.source ? `${i.source.file}:${i.source.line}:${i.source.column} ` : i.file ? `${i.file} ` : "";
  const at = i.path.length > 0 ? ` (at ${formatPath(i.path)})` : "";
  return `${where}${i.severity === "warning" ? "warning " : ""}${i.code} ${i.message}${at}`;
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, idx) => (typeof p === "number" ? `[${p}]` : idx === 0 ? p : `.${p}`)).join("");
}
