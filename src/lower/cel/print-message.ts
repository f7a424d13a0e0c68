import { messageWitness, MISSING_TEXT, paramValue, placeholderOf, type Message, type Rule, type Value } from "../../ir/index.js";
import { celString } from "./escape.js";
import { celLists, celOptional, celValueOf, fresh, printCel, printNegated, type CelContext } from "./print-expr.js";

/** A value known when the policy is built (a literal, an inlined parameter). */
const isStatic = (v: Value) => v.kind === "literal" || v.kind === "param";

/** A message value as text: the value, or the visible MISSING_TEXT when it is missing (a message never has a hole). */
function celMessageValue(v: Value, ctx: CelContext): string {
  const missing = celString(MISSING_TEXT);
  if (v.kind === "field") {
    const o = celOptional(v, ctx);
    return `string(${o.optional ? `${o.text}.orValue(${missing})` : o.text})`;
  }
  const x = fresh(ctx, "m");
  return `[${celValueOf(v, ctx)}].map(${x}, ${x} == null ? ${missing} : string(${x}))[0]`;
}

/** The text of a static value, as the message shows it. */
function staticText(v: Value, params: Readonly<Record<string, unknown>>): string {
  const x = v.kind === "literal" ? v.value : v.kind === "param" ? paramValue(params, v.path) : undefined;
  return x === undefined ? "" : typeof x === "string" ? x : JSON.stringify(x);
}

/**
 * The static `message` of a validation: the template exactly as written, parameters inlined; each
 * value read from the object (which the `messageExpression` shows) as a placeholder naming it
 * (`{name}`), so no character of the template is lost. The API server shows it only when the
 * messageExpression cannot be evaluated. `fallback` for an empty template.
 */
export function staticMessage(m: Message, params: Readonly<Record<string, unknown>>, fallback: string): string {
  const text = m.parts
    .map((p) => (p.kind === "text" ? p.text : isStatic(p.value) ? staticText(p.value, params) : placeholderOf(p.value)))
    .join("");
  return text.length > 0 ? text : fallback;
}

/**
 * A `messageExpression` for a rule whose message interpolates values, or undefined when the
 * message is plain text. Elements the message reads are the first ones that violate the rule:
 * `L.filter(v, !body).map(v, <message>)[0]`, nested along the witness chain.
 */
export function printCelMessage(rule: Rule, ctx: CelContext, violations?: string): string | undefined {
  if (!rule.message.parts.some((p) => p.kind === "value" && !isStatic(p.value))) return undefined;
  const text = rule.message.parts
    .map((p) => {
      if (p.kind === "text") return celString(p.text);
      if (isStatic(p.value)) return celString(staticText(p.value, ctx.params));
      return celMessageValue(p.value, ctx);
    })
    .join(" + ");
  const { steps } = messageWitness(rule.assert, rule.message);
  let expr = text || '""';
  for (const [i, step] of [...steps.entries()].reverse()) {
    // The outermost step's violating elements may be bound already (`violations`, a variable).
    if (i === 0 && violations) {
      expr = `${violations}.map(${step.variable}, ${expr})[0]`;
      continue;
    }
    const cond = step.bodyHolds ? printCel(step.body, ctx) : printNegated(step.body, ctx);
    expr = `${celLists(step.lists, ctx)}.filter(${step.variable}, ${cond}).map(${step.variable}, ${expr})[0]`;
  }
  return expr;
}
