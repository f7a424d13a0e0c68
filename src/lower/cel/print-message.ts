import { messageWitness, paramValue, type Message, type Rule } from "../../ir/index.js";

import { celString } from "./escape.js";
import { celLists, celOptional, printCel, type CelContext } from "./print-expr.js";
import type { FieldRef } from "../../ir/index.js";

/** A message value: the field, or "" when it is missing, so the message still renders. */
function celOptionalOrEmpty(ref: FieldRef, ctx: CelContext): string {
  const o = celOptional(ref, ctx);
  return o.optional ? `${o.text}.orValue("")` : o.text;
}

/** The message with interpolations left as written, e.g. for a static `message` field. */
export function staticMessage(m: Message, params: Readonly<Record<string, unknown>>): string {
  return m.parts
    .map((p) => {
      if (p.kind === "text") return p.text;
      if (p.value.kind === "param") return String(paramValue(params, p.value.path) ?? "");
      return `{${p.value.path.join(".")}}`;
    })
    .join("");
}

/**
 * A `messageExpression` for a rule whose message interpolates values, or undefined when the
 * message is plain text. Elements the message reads are the first ones that violate the rule:
 * `L.filter(v, !body).map(v, <message>)[0]`, nested along the witness chain.
 */
export function printCelMessage(rule: Rule, ctx: CelContext): string | undefined {
  if (!rule.message.parts.some((p) => p.kind === "value" && p.value.kind === "field")) return undefined;
  const text = rule.message.parts
    .map((p) => {
      if (p.kind === "text") return celString(p.text);
      if (p.value.kind === "param") return celString(String(paramValue(ctx.params, p.value.path) ?? ""));
      return `string(${celOptionalOrEmpty(p.value, ctx)})`;
    })
    .join(" + ");
  const { steps } = messageWitness(rule.assert, rule.message);
  let expr = text || '""';
  for (const step of [...steps].reverse()) {
    const body = printCel(step.body, ctx);
    const cond = step.bodyHolds ? body : `!(${body})`;
    expr = `${celLists(step.lists, ctx)}.filter(${step.variable}, ${cond}).map(${step.variable}, ${expr})[0]`;
  }
  return expr;
}
