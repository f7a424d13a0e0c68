import { assertNever, type CompareOp, type Expr } from "../../ir/index.js";
import { binary, call, expr, hasCallOrWildcard, index, v, type Statement, type Term } from "./ast.js";
import { argsOf, type RegoBuilder } from "./builder.js";

const OPS: Record<CompareOp, "==" | "<" | "<=" | ">" | ">="> = { eq: "==", lt: "<", le: "<=", gt: ">", ge: ">=" };

/** Statements that succeed exactly when `e` holds; `scope` lists the element variables bound. */
export function holds(b: RegoBuilder, e: Expr, scope: readonly string[]): Statement[] {
  switch (e.kind) {
    case "const":
      return [expr({ kind: "value", value: e.value })];
    case "exists": {
      const f = e.field;
      if (f.path.length === 0 && (f.scope.kind === "subject" || f.scope.kind === "element" || f.scope.kind === "request"))
        return [expr({ kind: "value", value: true })];
      return [{ kind: "unify", left: { kind: "wildcard" }, right: b.field(f) }];
    }
    case "compare": {
      const left = b.value(e.left);
      const right = b.value(e.right);
      if (e.op === "eq") return [b.compare("==", left, right)];
      return [
        expr(call("is_number", left)),
        ...(e.right.kind === "literal" ? [] : [expr(call("is_number", right))]),
        b.compare(OPS[e.op], left, right),
      ];
    }
    case "in": {
      if (e.list.kind === "literal") return [b.compare("==", b.value(e.value), b.anyItem(e.list))];
      return [b.compare("==", b.value(e.value), index(b.lists([e.list]), { kind: "wildcard" }))];
    }
    case "string": {
      const value = b.value(e.value);
      const arg = b.anyItem(e.arg);
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
      return [b.compare(OPS[e.op], call("_quantity", b.value(e.left)), call("_quantity", b.value(e.right)))];
    }
    case "count":
      return [b.compare(OPS[e.op], call("count", b.lists(e.lists)), { kind: "value", value: e.value })];
    case "selects":
      b.need("label_set");
      b.need(e.style === "map" ? "selects_map" : "selects_labels");
      return [expr(call(e.style === "map" ? "_selects_map" : "_selects_labels", b.value(e.selector), b.orNull(e.labels)))];
    case "quantifier": {
      const inner = [...scope, e.variable];
      // In a helper of its own: two quantifiers over the same variable name in one body would
      // declare it twice ("var declared above").
      if (e.quantifier === "any") {
        const name = b.fresh("any");
        return [expr(b.define(name, argsOf(e, scope, b.controller !== undefined), [[someIn(b, e), ...holds(b, e.body, inner)]]))];
      }
      // every element holds <=> no element fails
      const name = b.fresh("fails");
      return [
        { kind: "not", term: b.define(name, argsOf(e, scope, b.controller !== undefined), [[someIn(b, e), ...fails(b, e.body, inner)]]) },
      ];
    }
    case "and":
      return e.items.flatMap((i) => holds(b, i, scope));
    case "or": {
      const name = b.fresh("any");
      return [
        expr(
          b.define(
            name,
            argsOf(e, scope, b.controller !== undefined),
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
    return [
      expr(b.define(name, argsOf(e, scope, b.controller !== undefined), [[someIn(b, e), ...fails(b, e.body, [...scope, e.variable])]])),
    ];
  }
  if (e.kind === "or") return e.items.flatMap((i) => fails(b, i, scope));
  const stmts = holds(b, e, scope);
  if (stmts.length === 1 && negatableInPlace(stmts[0]!)) return [{ kind: "not", term: (stmts[0] as { term: Term }).term }];
  return [{ kind: "not", term: b.define(b.fresh("holds"), argsOf(e, scope, b.controller !== undefined), [stmts]) }];
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
