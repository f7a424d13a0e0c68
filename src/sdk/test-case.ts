/** A Kubernetes object in a test case: a path to a YAML manifest (relative to the policy file) or inline. */
export type CaseObject = string | Readonly<Record<string, unknown>>;

/**
 * A test case kept with its policy and run by `policyc test` on every engine. `resource` is a
 * path (relative to the policy file) to a YAML manifest — every document in it is a resource of
 * the case — or an inline object, or a list of either.
 */
export interface TestCase {
  readonly name?: string;
  readonly resource: CaseObject | readonly CaseObject[];
  /**
   * allow: the policy applies and passes; deny: it applies and is violated (whatever the
   * enforcement action); skip: it does not apply (match, operation or precondition).
   */
  readonly expect: "allow" | "deny" | "skip";
  /** Substring expected in one of the violation messages (deny only). */
  readonly message?: string;
  /** Exact number of violations expected (deny only). */
  readonly violations?: number;
  /** Which instance's parameters to use, for policies with several (default: the first). */
  readonly instance?: string;
  readonly operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  /** The existing object, for UPDATE and DELETE. */
  readonly oldResource?: CaseObject;
  /** The requesting user (default: username policyc-test, group system:authenticated). */
  readonly userInfo?: UserInfo;
  /** Namespace objects, for namespace selectors (a namespace not given has only its kubernetes.io/metadata.name label). */
  readonly namespaces?: readonly CaseObject[];
  /** Other cluster objects: params objects, Gatekeeper inventory, objects looked up by the policy. */
  readonly objects?: readonly CaseObject[];
  /** Authorizer answers for CEL `authorizer` checks (default: every check denied). */
  readonly authorizer?: readonly AuthorizerAnswer[];
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** An authorizer answer: `allowed` for the check described (fields left out match anything). */
export interface AuthorizerAnswer {
  readonly group?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly verb?: string;
  readonly path?: string;
  readonly allowed: boolean;
  readonly reason?: string;
}
