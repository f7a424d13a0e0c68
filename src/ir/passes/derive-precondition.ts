import { ok, type Result } from "../issue.js";
import type { Expr, Policy } from "../types.js";
import { fieldsIn } from "../values.js";
import { operandsOf, walkExpr } from "../walk.js";

const readsScope = (e: Expr, scope: string): boolean => {
  let found = false;
  walkExpr(e, (n) => {
    for (const o of operandsOf(n)) if (fieldsIn(o).some((f) => f.scope.kind === scope)) found = true;
  });
  return found;
};

/**
 * When every rule has a precondition, the policy applies only where one of them holds: the
 * disjunction of the rules' preconditions joins the policy's own. So a request no rule is about
 * is `skip` on every target (VAP matchConditions, Gatekeeper's `applies`), not an `allow`.
 */
export function derivePrecondition(p: Policy): Result<Policy> {
  if (p.rules.length === 0 || p.rules.some((r) => !r.when)) return ok(p);
  // Not when a rule's precondition reads the namespace: a VAP's match conditions cannot see it,
  // so there the precondition stays the rule's own (and the request is allowed, not skipped).
  if (p.rules.some((r) => readsScope(r.when!, "namespace"))) return ok(p);
  const source = p.source;
  const whens = p.rules.map((r) => r.when!);
  const any: Expr = whens.length === 1 ? whens[0]! : { kind: "or", items: whens, source };
  return ok({ ...p, when: p.when ? { kind: "and", items: [p.when, any], source } : any });
}
