import type { Expr, Policy } from "./types.js";
import type { ValueNode } from "./values.js";

/** The values and lists a node reads directly (not those of its sub-expressions). */
export function operandsOf(e: Expr): readonly ValueNode[] {
  switch (e.kind) {
    case "exists":
      return [e.field];
    case "compare":
    case "quantity":
      return [e.left, e.right];
    case "in":
      return [e.value, e.list];
    case "string":
      return [e.value, e.arg];
    case "count":
    case "quantifier":
      return e.lists;
    case "selects":
      return [e.selector, e.labels];
    case "const":
    case "and":
    case "or":
    case "not":
      return [];
    default:
      return assertNever(e);
  }
}

/** Pre-order walk over an expression tree, with the path of each node inside the tree. */
export function walkExpr(
  e: Expr,
  visit: (node: Expr, path: readonly (string | number)[]) => void,
  path: readonly (string | number)[] = [],
): void {
  visit(e, path);
  switch (e.kind) {
    case "and":
    case "or":
      e.items.forEach((item, i) => walkExpr(item, visit, [...path, "items", i]));
      return;
    case "not":
      walkExpr(e.item, visit, [...path, "item"]);
      return;
    case "quantifier":
      walkExpr(e.body, visit, [...path, "body"]);
      return;
    default:
      return;
  }
}

/** Every expression of a policy (policy `when`, each rule's `when` and `assert`) with its path. */
export function walkPolicy(p: Policy, visit: (node: Expr, path: readonly (string | number)[]) => void): void {
  if (p.when) walkExpr(p.when, visit, ["when"]);
  p.rules.forEach((r, i) => {
    if (r.when) walkExpr(r.when, visit, ["rules", i, "when"]);
    walkExpr(r.assert, visit, ["rules", i, "assert"]);
  });
}

/** Rebuilds an expression bottom-up; `f` sees each node after its children were mapped. */
export function mapExpr(e: Expr, f: (node: Expr) => Expr): Expr {
  switch (e.kind) {
    case "and":
    case "or":
      return f({ ...e, items: e.items.map((i) => mapExpr(i, f)) });
    case "not":
      return f({ ...e, item: mapExpr(e.item, f) });
    case "quantifier":
      return f({ ...e, body: mapExpr(e.body, f) });
    default:
      return f(e);
  }
}

/** Applies `f` to every expression of a policy. */
export function mapPolicyExprs(p: Policy, f: (node: Expr) => Expr): Policy {
  return {
    ...p,
    ...(p.when ? { when: mapExpr(p.when, f) } : {}),
    rules: p.rules.map((r) => ({
      ...r,
      ...(r.when ? { when: mapExpr(r.when, f) } : {}),
      assert: mapExpr(r.assert, f),
    })),
  };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected node: ${JSON.stringify(x)}`);
}
