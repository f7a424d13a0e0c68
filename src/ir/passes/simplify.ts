import { ok, type Result } from "../issue.js";
import type { Expr, Policy } from "../types.js";
import { mapPolicyExprs } from "../walk.js";

/** Flattens nested and/or, drops double negation and unwraps one-item and/or. */
export function simplify(p: Policy): Result<Policy> {
  return ok(mapPolicyExprs(p, simplifyNode));
}

function simplifyNode(e: Expr): Expr {
  switch (e.kind) {
    case "and":
    case "or": {
      const items = e.items.flatMap((i) => (i.kind === e.kind ? i.items : [i]));
      return items.length === 1 ? items[0]! : { ...e, items };
    }
    case "not":
      return e.item.kind === "not" ? e.item.item : e;
    default:
      return e;
  }
}
