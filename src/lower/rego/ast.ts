/**
 * A small Rego syntax tree: what the lowering builds and `print-rego.ts` prints. Only the forms
 * policyc generates: references, calls, comparisons, collections, `some … in`, `not`, and rules
 * with `if` bodies, `else` and `contains`.
 */

/** One step of a reference: `.name` / `["odd/key"]` for fields, `[term]` for an index. */
export type RefSegment = { readonly kind: "field"; readonly name: string } | { readonly kind: "index"; readonly term: Term };

export type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "*" | "/" | "in";

export type Term =
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "wildcard" }
  /** A JSON value written as a Rego term (strings escaped by `regoString`). */
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "ref"; readonly base: Term; readonly path: readonly RefSegment[] }
  | { readonly kind: "call"; readonly fn: string; readonly args: readonly Term[] }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Term; readonly right: Term }
  | { readonly kind: "array"; readonly items: readonly Term[] }
  | { readonly kind: "set"; readonly items: readonly Term[] }
  | { readonly kind: "object"; readonly entries: readonly (readonly [Term, Term])[] }
  /** `[head | body]`: an array comprehension. */
  | { readonly kind: "comprehension"; readonly head: Term; readonly body: readonly Statement[] };

export type Statement =
  /** A term that must be true (or defined). */
  | { readonly kind: "expr"; readonly term: Term }
  | { readonly kind: "not"; readonly term: Term }
  /** `name := value` */
  | { readonly kind: "assign"; readonly name: string; readonly value: Term }
  /** `left = right` */
  | { readonly kind: "unify"; readonly left: Term; readonly right: Term }
  /** `some x in domain` */
  | { readonly kind: "some"; readonly vars: readonly string[]; readonly domain: Term };

/** One definition of a rule: its value (for `:=` and `contains`) and body. */
export interface Definition {
  readonly value?: Term;
  readonly body: readonly Statement[];
  /** Print a one-statement body on the head's line (`x if y`) rather than as a block. */
  readonly inline?: boolean;
  /** `else := value` after the body. */
  readonly else?: Term;
}

export interface Rule {
  readonly kind: "rule";
  readonly name: string;
  /** `complete`: `name := value`, or a boolean rule; `contains`: a partial set rule. */
  readonly head: "complete" | "contains";
  /** Function arguments (variable names); a rule has none. */
  readonly args?: readonly string[];
  /** A comment line above the rule. */
  readonly comment?: string;
  /** Printed one after another; none means the rule is never defined (`name if false`). */
  readonly definitions: readonly Definition[];
}

/** A fixed helper kept as Rego source (see `prelude/`), printed as written. */
export interface Prelude {
  readonly kind: "prelude";
  readonly name: PreludeName;
}

export type PreludeName =
  | "as_list"
  | "format"
  | "image"
  | "join_strings"
  | "lower_ascii"
  | "quantity"
  | "label_set"
  | "selects_labels"
  | "selects_map"
  | "upper_ascii";

export interface Module {
  readonly package: string;
  readonly imports: readonly string[];
  readonly items: readonly (Rule | Prelude)[];
}

export const v = (name: string): Term => ({ kind: "var", name });
export const value = (x: unknown): Term => ({ kind: "value", value: x });
export const WILDCARD: Term = { kind: "wildcard" };
export const call = (fn: string, ...args: Term[]): Term => ({ kind: "call", fn, args });
export const binary = (op: BinaryOp, left: Term, right: Term): Term => ({ kind: "binary", op, left, right });
export const expr = (term: Term): Statement => ({ kind: "expr", term });

/** `base.a.b`: a reference by field names. */
export function ref(base: Term, ...fields: readonly string[]): Term {
  if (fields.length === 0) return base;
  const path: RefSegment[] = fields.map((name) => ({ kind: "field", name }));
  return base.kind === "ref" ? { kind: "ref", base: base.base, path: [...base.path, ...path] } : { kind: "ref", base, path };
}

/** `base[term]` */
export function index(base: Term, term: Term): Term {
  const seg: RefSegment = { kind: "index", term };
  return base.kind === "ref" ? { kind: "ref", base: base.base, path: [...base.path, seg] } : { kind: "ref", base, path: [seg] };
}

/** Whether a term calls a function or holds a wildcard anywhere. */
export function hasCallOrWildcard(t: Term): boolean {
  switch (t.kind) {
    case "call":
    case "wildcard":
      return true;
    case "var":
    case "value":
      return false;
    case "ref":
      return hasCallOrWildcard(t.base) || t.path.some((s) => s.kind === "index" && hasCallOrWildcard(s.term));
    case "binary":
      return hasCallOrWildcard(t.left) || hasCallOrWildcard(t.right);
    case "array":
    case "set":
      return t.items.some(hasCallOrWildcard);
    case "object":
      return t.entries.some(([k, x]) => hasCallOrWildcard(k) || hasCallOrWildcard(x));
    case "comprehension":
      return true;
  }
}

/** Whether a term reads the variable `name`. */
export function termMentions(t: Term, name: string): boolean {
  switch (t.kind) {
    case "var":
      return t.name === name;
    case "wildcard":
    case "value":
      return false;
    case "ref":
      return termMentions(t.base, name) || t.path.some((s) => s.kind === "index" && termMentions(s.term, name));
    case "call":
      return t.args.some((a) => termMentions(a, name));
    case "binary":
      return termMentions(t.left, name) || termMentions(t.right, name);
    case "array":
    case "set":
      return t.items.some((i) => termMentions(i, name));
    case "object":
      return t.entries.some(([k, x]) => termMentions(k, name) || termMentions(x, name));
    case "comprehension":
      return termMentions(t.head, name) || statementsMention(t.body, name);
  }
}

/** Whether any statement reads the variable `name`. */
export function statementsMention(stmts: readonly Statement[], name: string): boolean {
  return stmts.some((s) => {
    switch (s.kind) {
      case "expr":
      case "not":
        return termMentions(s.term, name);
      case "assign":
        return termMentions(s.value, name);
      case "unify":
        return termMentions(s.left, name) || termMentions(s.right, name);
      case "some":
        return termMentions(s.domain, name);
    }
  });
}
