/**
 * A test case kept with its policy and run by `policyc test`. `resource` is a path (relative to
 * the policy file) to a YAML manifest, or an inline object.
 */
export interface TestCase {
  readonly name?: string;
  readonly resource: string | Record<string, unknown>;
  /** allow: applies and passes; deny: applies and is violated; skip: does not apply. */
  readonly expect: "allow" | "deny" | "skip";
  /** Substring expected in a violation message. */
  readonly message?: string;
  /** Which instance's parameters to use, for policies with several. */
  readonly instance?: string;
  readonly operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  readonly oldResource?: string | Record<string, unknown>;
  /** Namespace objects, for namespace selectors. */
  readonly namespaces?: readonly Record<string, unknown>[];
}
