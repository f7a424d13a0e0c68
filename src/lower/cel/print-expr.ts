import {
  assertNever,
  paramValue,
  type CompareOp,
  type Expr,
  type FieldRef,
  type Literal,
  type Operand,
  type ParamRef,
} from "../../ir/index.js";

import { celOptionalSelect, celString, celValue } from "./escape.js";

/** What a CEL expression is printed against. */
export interface CelContext {
  /** CEL expression for the policy's subject (e.g. `object` or `variables.pod`). */
  readonly subject: string;
  /** The instance's parameter values, inlined as literals. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Lists of the subject bound as variables (`listKey` → `variables.containers`); absent in matchConditions. */
  readonly lists?: ReadonlyMap<string, string>;
}

/** The key of a list (or concatenation of lists) read from the subject, for `CelContext.lists`. */
export function listKey(lists: readonly FieldRef[]): string | undefined {
  if (lists.some((l) => l.scope.kind !== "subject")) return undefined;
  return JSON.stringify(lists.map((l) => l.path));
}

const OPS: Record<CompareOp, string> = { eq: "==", lt: "<", le: "<=", gt: ">", ge: ">=" };

function base(ref: FieldRef, ctx: CelContext): string {
  return ref.scope.kind === "subject" ? ctx.subject : ref.scope.variable;
}

/** The field as an optional value (`object.?spec.?replicas`), or the plain base when the path is empty. */
export function celOptional(ref: FieldRef, ctx: CelContext): { text: string; optional: boolean } {
  if (ref.path.length === 0) return { text: base(ref, ctx), optional: false };
  return { text: base(ref, ctx) + ref.path.map(celOptionalSelect).join(""), optional: true };
}

/** The field's value, `null` when it is missing, typed dyn. */
export function celValueOf(ref: FieldRef, ctx: CelContext): string {
  const o = celOptional(ref, ctx);
  // dyn(): `orValue(null)` has type null to the checker, so string and number functions would not
  // type-check on it; the callers guard every use with a type() test.
  return o.optional ? `dyn(${o.text}.orValue(null))` : o.text;
}

/**
 * Concatenated lists; a missing list, a null and anything that is not a list are empty (as in the
 * reference evaluator and the Rego): `containers: null` must not make the expression an error.
 */
export function celLists(lists: readonly FieldRef[], ctx: CelContext): string {
  const bound = ctx.lists?.get(listKey(lists) ?? "");
  if (bound) return bound;
  const parts = lists.map((l) => ctx.lists?.get(listKey([l]) ?? "") ?? celList(l, ctx));
  return parts.length === 1 ? parts[0]! : `(${parts.join(" + ")})`;
}

/** One list field: its value when it is a list, else empty. */
export function celList(l: FieldRef, ctx: CelContext): string {
  const o = celOptional(l, ctx);
  const value = o.optional ? `${o.text}.orValue([])` : o.text;
  return `(type(${value}) == list ? ${value} : [])`;
}

function operand(o: Operand, ctx: CelContext): string {
  switch (o.kind) {
    case "field":
      return celValueOf(o, ctx);
    case "literal":
      return celValue(o.value);
    case "param":
      return celValue(paramValue(ctx.params, o.path) ?? null);
    default:
      return assertNever(o);
  }
}

function listArg(a: Literal | ParamRef, ctx: CelContext): { list: boolean; text: string } {
  const v = a.kind === "literal" ? a.value : paramValue(ctx.params, a.path);
  if (Array.isArray(v)) return { list: true, text: celValue(v) };
  if (v === undefined && a.kind === "param") return { list: true, text: "[]" };
  return { list: false, text: celValue(v) };
}

/**
 * `x` is a number. Not `type(x) in [int, uint, double]`: Kubernetes' CEL environment uses
 * HomogeneousAggregateLiterals, which rejects a list of three different type values.
 */
const isNumber = (x: string) => `(type(${x}) == int || type(${x}) == uint || type(${x}) == double)`;

/**
 * Prints a condition. Leaf predicates read fields through optional selection and check the
 * value's type first, so a missing or mistyped field makes them false instead of an error,
 * which is what the reference evaluator and the Rego lowering do.
 */
export function printCel(e: Expr, ctx: CelContext): string {
  switch (e.kind) {
    case "const":
      return String(e.value);
    case "exists": {
      const o = celOptional(e.field, ctx);
      return o.optional ? `${o.text}.hasValue()` : "true";
    }
    case "compare": {
      const left = celValueOf(e.left, ctx);
      if (e.op === "eq") {
        if (e.right.kind === "field") {
          const l = celOptional(e.left, ctx);
          const r = celOptional(e.right, ctx);
          const guards = [l, r].filter((x) => x.optional).map((x) => `${x.text}.hasValue()`);
          return `(${[...guards, `${celValueOf(e.left, ctx)} == ${celValueOf(e.right, ctx)}`].join(" && ")})`;
        }
        return `${left} == ${operand(e.right, ctx)}`;
      }
      const right = operand(e.right, ctx);
      const rightGuard = e.right.kind === "literal" ? "" : ` && ${isNumber(right)}`;
      return `(${isNumber(left)}${rightGuard} && ${left} ${OPS[e.op]} ${right})`;
    }
    case "in": {
      const a = listArg(e.list, ctx);
      return a.list ? `${celValueOf(e.value, ctx)} in ${a.text}` : `${celValueOf(e.value, ctx)} == ${a.text}`;
    }
    case "string": {
      const v = celValueOf(e.value, ctx);
      const a = listArg(e.arg, ctx);
      const call = (arg: string) => (e.op === "glob" ? `${v}.matches(${arg})` : `${v}.${e.op}(${arg})`);
      const test = a.list ? `${a.text}.exists(arg_, ${call("arg_")})` : call(a.text);
      return `(type(${v}) == string && ${test})`;
    }
    case "quantity": {
      const v = celValueOf(e.left, ctx);
      const a = listArg(e.right, ctx);
      const q = `string(${v})`;
      const cmp = `quantity(${q}).compareTo(quantity(${a.text})) ${OPS[e.op]} 0`;
      return `((type(${v}) == string || ${isNumber(v)}) && isQuantity(${q}) && ${cmp})`;
    }
    case "count":
      return `size(${celLists(e.lists, ctx)}) ${OPS[e.op]} ${e.value}`;
    case "quantifier":
      return `${celLists(e.lists, ctx)}.${e.quantifier === "all" ? "all" : "exists"}(${e.variable}, ${printCel(e.body, ctx)})`;
    case "and":
      return `(${e.items.map((i) => printCel(i, ctx)).join(" && ")})`;
    case "or":
      return `(${e.items.map((i) => printCel(i, ctx)).join(" || ")})`;
    case "not":
      return printNegated(e.item, ctx);
    default:
      return assertNever(e);
  }
}

/**
 * Prints the negation of a condition without double negations: `not not x` is `x`, a negated
 * equality with a constant is `!=` (the same for every value, missing ones included), anything
 * else `!(…)`.
 */
export function printNegated(e: Expr, ctx: CelContext): string {
  if (e.kind === "not") return printCel(e.item, ctx);
  if (e.kind === "compare" && e.op === "eq" && e.right.kind !== "field") return `${celValueOf(e.left, ctx)} != ${operand(e.right, ctx)}`;
  return `!(${printCel(e, ctx)})`;
}

export { celString };
