import { messageWitness, paramValue, type Message, type Rule, type Value } from "../../ir/index.js";
import { celString } from "./escape.js";
import { celLists, celOptional, celValueOf, fresh, printCel, printNegated, type CelContext } from "./print-expr.js";

/** A value known when the policy is built (a literal, an inlined parameter). */
const isStatic = (v: Value) => v.kind === "literal" || v.kind === "param";

/** A message value as text: the value, or "" when it is missing, so the message still renders. */
function celMessageValue(v: Value, ctx: CelContext): string {
  if (v.kind === "field") {
    const o = celOptional(v, ctx);
    return `string(${o.optional ? `${o.text}.orValue("")` : o.text})`;
  }
  const x = fresh(ctx, "m");
  return `[${celValueOf(v, ctx)}].map(${x}, ${x} == null ? "" : string(${x}))[0]`;
}

/** The text of a static value, as the message shows it. */
function staticText(v: Value, params: Readonly<Record<string, unknown>>): string {
  const x = v.kind === "literal" ? v.value : v.kind === "param" ? paramValue(params, v.path) : undefined;
  return x === undefined ? "" : typeof x === "string" ? x : JSON.stringify(x);
}

/**
 * The message as a plain sentence, for a static `message` field: parameters inlined, values read
 * from the object left out (the `messageExpression` carries them), and the spaces and empty
 * quotes they leave behind tidied, first letter upper case. `fallback` when nothing is left. The
 * API server shows it only when the messageExpression cannot be evaluated.
 */
export function staticMessage(m: Message, params: Readonly<Record<string, unknown>>, fallback: string): string {
  const pieces = m.parts.map((p) =>
    p.kind === "text" ? p.text : p.value.kind === "param" ? String(paramValue(params, p.value.path) ?? "") : undefined,
  );
  // A private-use character the text does not hold marks where a value was left out.
  let hole = 0xe000;
  while (pieces.some((x) => x?.includes(String.fromCharCode(hole)))) hole++;
  const mark = String.fromCharCode(hole);
  const text = pieces.map((x) => x ?? mark).join("");
  const sentence = text
    .replaceAll(new RegExp(`(["'\`([{<])${mark}([\\]})>"'\`])`, "g"), "")
    .replaceAll(mark, "")
    .replace(/[ \t]{2,}/g, " ")
    .replace(/ ([,.;:!?])/g, "$1")
    .replace(/^[\s,.;:]+|[\s,;:]+$/g, "");
  if (!/[\p{L}\p{N}]/u.test(sentence)) return fallback;
  // A sentence that began with a value now begins with its next word: give it a capital.
  return pieces[0] === undefined ? sentence.charAt(0).toUpperCase() + sentence.slice(1) : sentence;
}

/**
 * A `messageExpression` for a rule whose message interpolates values, or undefined when the
 * message is plain text. Elements the message reads are the first ones that violate the rule:
 * `L.filter(v, !body).map(v, <message>)[0]`, nested along the witness chain.
 */
export function printCelMessage(rule: Rule, ctx: CelContext): string | undefined {
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
  for (const step of [...steps].reverse()) {
    const cond = step.bodyHolds ? printCel(step.body, ctx) : printNegated(step.body, ctx);
    expr = `${celLists(step.lists, ctx)}.filter(${step.variable}, ${cond}).map(${step.variable}, ${expr})[0]`;
  }
  return expr;
}
