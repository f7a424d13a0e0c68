import type { Expr, ListSource, Message } from "./types.js";
import { fieldsIn } from "./values.js";

/**
 * One quantifier on the way to the elements that violate a rule. `bodyHolds` says whether the
 * witness element is one for which the body holds (`not any(...)` fails because of an element
 * that satisfies the body) or one for which it fails (`all(...)` fails because of an element
 * that does not).
 */
export interface WitnessStep {
  readonly variable: string;
  readonly lists: readonly ListSource[];
  readonly body: Expr;
  readonly bodyHolds: boolean;
}

/**
 * The chain of quantifiers whose elements explain why `assert` is false, outermost first:
 * `all(v, L, b)` fails because some v in L fails b; `not any(v, L, b)` fails because some v
 * satisfies b. Conjunctions and disjunctions end the chain: no single element explains them.
 */
export function witnessChain(assert: Expr): WitnessStep[] {
  const steps: WitnessStep[] = [];
  let node: Expr = assert;
  let mustFail = true;
  for (;;) {
    if (node.kind === "not") {
      node = node.item;
      mustFail = !mustFail;
    } else if (node.kind === "quantifier" && node.quantifier === (mustFail ? "all" : "any")) {
      steps.push({ variable: node.variable, lists: node.lists, body: node.body, bodyHolds: !mustFail });
      node = node.body;
    } else {
      return steps;
    }
  }
}

/** Element variables a message interpolates. */
export function messageVariables(m: Message): string[] {
  const vars: string[] = [];
  for (const p of m.parts) {
    if (p.kind !== "value") continue;
    for (const f of fieldsIn(p.value)) {
      if (f.scope.kind === "element" && !vars.includes(f.scope.variable)) vars.push(f.scope.variable);
    }
  }
  return vars;
}

/**
 * The witness steps a rule's message needs: the chain cut after the deepest variable the
 * message reads. Returns the variables it reads that no step binds, if any.
 */
export function messageWitness(assert: Expr, message: Message): { steps: WitnessStep[]; unbound: string[] } {
  const chain = witnessChain(assert);
  const used = messageVariables(message);
  const unbound = used.filter((v) => !chain.some((s) => s.variable === v));
  let depth = 0;
  chain.forEach((s, i) => {
    if (used.includes(s.variable)) depth = i + 1;
  });
  return { steps: chain.slice(0, depth), unbound };
}
