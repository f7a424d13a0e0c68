import { assertNever, type CompareOp, type Expr } from "../../ir/index.js";
import { binary, call, expr, hasCallOrWildcard, v, type Statement, type Term } from "./ast.js";
import { argsOf, type RegoBuilder } from "./builder.js";

const OPS: Record<CompareOp, "==" | "<" | "<=" | ">" | ">="> = { eq: "==", lt: "<", le: "<=", gt: ">", ge: ">=" };

/** Statements that succeed exactly when `e` holds; `scope` lists the element variables bound. */
export function holds(b: RegoBuilder, e: Expr, scope: readonly string[]): Statement[] {
  switch (e.kind) {
    case "const":
      return [expr({ kind: "value", value: e.value })];
    case "exists":
      return e.field.path.length === 0
        ? [expr({ kind: "value", value: true })]
        : [{ kind: "unify", left: { kind: "wildcard" }, right: b.field(e.field) }];
    case "compare": {
      const left = b.field(e.left);
      const right: Term =
        e.right.kind === "field" ? b.field(e.right) : e.right.kind === "param" ? b.param(e.right) : { kind: "value", value: e.right.value };
      if (e.op === "eq") return [b.compare("==", left, right)];
      return [
        expr(call("is_number", left)),
        ...(e.right.kind === "literal" ? [] : [expr(call("is_number", right))]),
        b.compare(OPS[e.op], left, right),
      ];
    }
    case "in": {
      const a = b.listArg(e.list);
      return [b.compare("==", b.field(e.value), a.list ? b.anyOf(a.term) : a.term)];
    }
    case "string": {
      const value = b.field(e.value);
      const a = b.listArg(e.arg);
      const arg = a.list ? b.anyOf(a.term) : a.term;
      const test =
        e.op === "startsWith"
          ? call("startswith", value, arg)
          : e.op === "endsWith"
            ? call("endswith", value, arg)
            : e.op === "contains"
              ? call("contains", value, arg)
              : call("regex.match", arg, value);
      return [expr(call("is_string", value)), expr(test)];
    }
    case "quantity": {
      b.need("quantity");
      const right: Term = e.right.kind === "param" ? b.param(e.right) : { kind: "value", value: e.right.value };
      return [b.compare(OPS[e.op], call("_quantity", b.field(e.left)), call("_quantity", right))];
    }
    case "count":
      return [b.compare(OPS[e.op], call("count", b.lists(e.lists)), { kind: "value", value: e.value })];
    case "quantifier": {
      const inner = [...scope, e.variable];
      // In a helper of its own: two quantifiers over the same variable name in one body would
      // declare it twice ("var declared above").
      if (e.quantifier === "any") {
        const name = b.fresh("any");
        return [expr(b.define(name, argsOf(e, scope), [[someIn(b, e), ...holds(b, e.body, inner)]]))];
      }
      // every element holds <=> no element fails
      const name = b.fresh("fails");
      return [{ kind: "not", term: b.define(name, argsOf(e, scope), [[someIn(b, e), ...fails(b, e.body, inner)]]) }];
    }
    case "and":
      return e.items.flatMap((i) => holds(b, i, scope));
    case "or": {
      const name = b.fresh("any");
      return [
        expr(
          b.define(
            name,
            argsOf(e, scope),
            e.items.map((i) => holds(b, i, scope)),
          ),
        ),
      ];
    }
    case "not":
      return fails(b, e.item, scope);
    default:
      return assertNever(e);
  }
}

/** Statements that succeed exactly when `e` does not hold. */
export function fails(b: RegoBuilder, e: Expr, scope: readonly string[]): Statement[] {
  if (e.kind === "not") return holds(b, e.item, scope);
  if (e.kind === "quantifier" && e.quantifier === "all") {
    const name = b.fresh("fails");
    return [expr(b.define(name, argsOf(e, scope), [[someIn(b, e), ...fails(b, e.body, [...scope, e.variable])]]))];
  }
  if (e.kind === "or") return e.items.flatMap((i) => fails(b, i, scope));
  const stmts = holds(b, e, scope);
  if (stmts.length === 1 && negatableInPlace(stmts[0]!)) return [{ kind: "not", term: (stmts[0] as { term: Term }).term }];
  return [{ kind: "not", term: b.define(b.fresh("holds"), argsOf(e, scope), [stmts]) }];
}

/** `some x in <lists>` for a quantifier. */
function someIn(b: RegoBuilder, e: Extract<Expr, { kind: "quantifier" }>): Statement {
  return { kind: "some", vars: [e.variable], domain: b.lists(e.lists) };
}

/**
 * Only a plain comparison is negated in place. A wildcard under `not` (`not _ = x`,
 * `not x == list[_]`) is unsafe in Rego, and OPA evaluates a call's reference arguments outside
 * the negation (`not _quantity(c.missing) == q` is undefined, not true). Such statements, and
 * several, go into a helper that `not` can call.
 */
function negatableInPlace(s: Statement): boolean {
  return s.kind === "expr" && !hasCallOrWildcard(s.term);
}

export { binary, v };
