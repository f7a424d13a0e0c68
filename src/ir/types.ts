/**
 * The policyc intermediate representation: one normalized model between the SDK and every
 * backend. Plain, JSON-serialisable data only (no classes, closures or Maps), so a JSON round
 * trip of a policy deep-equals the policy, and every backend is a pure function of it.
 */

/** Where a node was written, in the user's policy file (1-based line and column). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Path segments from a scope to a value, e.g. `["spec", "securityContext", "privileged"]`. */
export type FieldPath = readonly string[];

/**
 * What a field path starts from: the policy's subject (the resource, or for pod policies the
 * pod or the pod template of a controller), or an element bound by an enclosing quantifier.
 */
export type Scope = { readonly kind: "subject" } | { readonly kind: "element"; readonly variable: string };

export type Scalar = string | number | boolean;

/** A value read from the admitted resource (or from a quantifier's element). */
export interface FieldRef {
  readonly kind: "field";
  readonly scope: Scope;
  readonly path: FieldPath;
  readonly source: SourceLocation;
}

/** A constant written in the policy. */
export interface Literal {
  readonly kind: "literal";
  readonly value: Scalar | readonly Scalar[];
  readonly source: SourceLocation;
}

/**
 * A policy parameter. Gatekeeper reads it from the Constraint's `parameters`; the CEL targets
 * inline the instance's value (see `backends/kyverno` and `backends/kubernetes`).
 */
export interface ParamRef {
  readonly kind: "param";
  readonly path: FieldPath;
  readonly source: SourceLocation;
}

export type Operand = FieldRef | Literal | ParamRef;

export type CompareOp = "eq" | "lt" | "le" | "gt" | "ge";
export type StringOp = "startsWith" | "endsWith" | "contains" | "matches" | "glob";

/**
 * Boolean conditions. Leaf predicates are false when the field they read is missing or of the
 * wrong type; negations (`not equals`, `absent`, `not in`) are written as `not` of a leaf, so a
 * missing field satisfies them.
 */
export type Expr =
  | { readonly kind: "const"; readonly value: boolean; readonly source: SourceLocation }
  | { readonly kind: "exists"; readonly field: FieldRef; readonly source: SourceLocation }
  | {
      readonly kind: "compare";
      readonly op: CompareOp;
      readonly left: FieldRef;
      readonly right: Operand;
      readonly source: SourceLocation;
    }
  | {
      /** True when the field equals one of the list's values. */
      readonly kind: "in";
      readonly value: FieldRef;
      readonly list: Literal | ParamRef;
      readonly source: SourceLocation;
    }
  | {
      /** With a list argument, true when the predicate holds for any of its values. */
      readonly kind: "string";
      readonly op: StringOp;
      readonly value: FieldRef;
      readonly arg: Literal | ParamRef;
      readonly source: SourceLocation;
    }
  | {
      /** Kubernetes resource quantities (`500m`, `1Gi`) compared by value. */
      readonly kind: "quantity";
      readonly op: CompareOp;
      readonly left: FieldRef;
      readonly right: Literal | ParamRef;
      readonly source: SourceLocation;
    }
  | {
      /** Number of elements of the concatenated lists (missing lists count as empty). */
      readonly kind: "count";
      readonly op: CompareOp;
      readonly lists: readonly FieldRef[];
      readonly value: number;
      readonly source: SourceLocation;
    }
  | {
      /**
       * `all`: the body holds for every element; `any`: for at least one. The lists are
       * concatenated (e.g. containers + initContainers + ephemeralContainers); a missing list is
       * empty. The body reads the element through `{ kind: "element", variable }`.
       */
      readonly kind: "quantifier";
      readonly quantifier: "all" | "any";
      readonly lists: readonly FieldRef[];
      readonly variable: string;
      readonly body: Expr;
      readonly source: SourceLocation;
    }
  | { readonly kind: "and"; readonly items: readonly Expr[]; readonly source: SourceLocation }
  | { readonly kind: "or"; readonly items: readonly Expr[]; readonly source: SourceLocation }
  | { readonly kind: "not"; readonly item: Expr; readonly source: SourceLocation };

export type ExprKind = Expr["kind"];

/** A message shown when a rule is violated: text with interpolated values. */
export type MessagePart =
  { readonly kind: "text"; readonly text: string } | { readonly kind: "value"; readonly value: FieldRef | ParamRef };

export interface Message {
  readonly parts: readonly MessagePart[];
  readonly source: SourceLocation;
}

/**
 * One validation. The resource passes the rule when `when` is false or `assert` holds. The
 * message may interpolate the elements that make `assert` fail (see `ir/witness.ts`).
 */
export interface Rule {
  readonly name: string;
  readonly when?: Expr;
  readonly assert: Expr;
  readonly message: Message;
  readonly source: SourceLocation;
}

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/** A Kubernetes resource kind as admission sees it. `group` is "" for the core group. */
export interface KindRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The resource name (lowercase plural) used by ValidatingAdmissionPolicy resourceRules. */
  readonly resource: string;
  readonly namespaced: boolean;
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface Match {
  readonly kinds: readonly KindRef[];
  readonly operations: readonly Operation[];
  readonly namespaces?: { readonly include?: readonly string[]; readonly exclude?: readonly string[] };
  readonly labelSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
}

export type Enforcement = "enforce" | "audit" | "warn";
export type Severity = "low" | "medium" | "high" | "critical";
export type TargetName = "kyverno" | "kubernetes" | "gatekeeper";
export const TARGET_NAMES: readonly TargetName[] = ["kyverno", "kubernetes", "gatekeeper"];

/** A target is emitted unless the policy opts out of it, with a reason. */
export type TargetSetting =
  { readonly enabled: true } | { readonly enabled: false; readonly reason: string; readonly source: SourceLocation };

/** One named set of parameter values. A policy without parameters has one unnamed instance. */
export interface Instance {
  readonly name?: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly source: SourceLocation;
}

/** A JSON Schema (OpenAPI v3 structural subset) for the parameters. */
export type JsonSchema = { readonly [key: string]: unknown };

export interface Policy {
  readonly kind: "policy";
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly category?: string;
  readonly severity?: Severity;
  /**
   * `pod`: rules read a Pod; pod controllers are covered by reading their pod template.
   * `resource`: rules read the admitted object itself.
   */
  readonly subject: "resource" | "pod";
  readonly match: Match;
  /** Policy-wide precondition: the policy does not apply where it is false. */
  readonly when?: Expr;
  readonly rules: readonly Rule[];
  readonly enforcement: Enforcement;
  readonly params?: JsonSchema;
  readonly instances: readonly Instance[];
  readonly targets: Readonly<Record<TargetName, TargetSetting>>;
  readonly source: SourceLocation;
}
