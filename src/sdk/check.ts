import type { Expr, Literal, Message, Operand, ParamRef, Scalar, SourceLocation } from "../ir/index.js";
import { paramRefOf, type ParamValue } from "./params.js";
import { toMessage } from "./message.js";
import { fieldOf, refStateOf } from "./ref-state.js";
import { callerLocation } from "./source.js";

export type { ParamValue };

/**
 * A condition being authored. Wraps an IR expression and, optionally, the message shown when
 * it fails. Immutable: `.message` returns a new check.
 */
export class Check {
  readonly expr: Expr;
  readonly attachedMessage: Message | undefined;

  constructor(expr: Expr, message?: Message) {
    this.expr = expr;
    this.attachedMessage = message;
  }

  /**
   * The violation message. A tagged template may interpolate fields, including the element of
   * an enclosing `every`/`none` that caused the violation:
   * `` c.securityContext.privileged.notEquals(true).message`container ${c.name} is privileged` ``
   */
  message(strings: TemplateStringsArray | string, ...values: unknown[]): Check {
    return new Check(this.expr, toMessage(strings, values));
  }

  withMessage(m: Message): Check {
    return new Check(this.expr, m);
  }
}

export function isCheck(x: unknown): x is Check {
  return x instanceof Check;
}

/** All checks hold. */
export function and(...checks: Check[]): Check {
  return new Check({ kind: "and", items: checks.map(exprOf), source: callerLocation() });
}

/** At least one check holds. */
export function or(...checks: Check[]): Check {
  return new Check({ kind: "or", items: checks.map(exprOf), source: callerLocation() });
}

/** The check does not hold. */
export function not(check: Check): Check {
  return new Check({ kind: "not", item: exprOf(check), source: callerLocation() });
}

/** `then` needs to hold only where `condition` holds. */
export function implies(condition: Check, then: Check): Check {
  const source = callerLocation();
  const c = new Check({ kind: "or", items: [{ kind: "not", item: exprOf(condition), source }, exprOf(then)], source });
  return then.attachedMessage ? c.withMessage(then.attachedMessage) : c;
}

/** The field exists (any reference: object, list or value). */
export function exists(ref: unknown): Check {
  const source = callerLocation();
  return new Check({ kind: "exists", field: { ...fieldOf(ref, "exists()"), source }, source });
}

/** The field is missing. */
export function absent(ref: unknown): Check {
  const source = callerLocation();
  return new Check({ kind: "not", item: { kind: "exists", field: { ...fieldOf(ref, "absent()"), source }, source }, source });
}

function exprOf(c: unknown): Expr {
  if (!(c instanceof Check)) throw new TypeError(`expected a check, got ${describe(c)}`);
  return c.expr;
}

function describe(x: unknown): string {
  if (refStateOf(x)) return "a field reference (call an operator on it, e.g. .exists())";
  return typeof x;
}

function isScalar(x: unknown): x is Scalar {
  return typeof x === "string" || (typeof x === "number" && Number.isFinite(x)) || typeof x === "boolean";
}

/** A value written in a policy: a literal, a parameter or (for comparisons) another field. */
export function toOperand(v: unknown, source: SourceLocation): Operand {
  const param = paramRefOf(v);
  if (param) return { ...param, source };
  if (refStateOf(v)) return { ...fieldOf(v), source };
  return toLiteral(v, source);
}

export function toListArg(v: unknown, source: SourceLocation): Literal | ParamRef {
  const param = paramRefOf(v);
  if (param) return { ...param, source };
  return toLiteral(v, source);
}

function toLiteral(v: unknown, source: SourceLocation): Literal {
  if (isScalar(v)) return { kind: "literal", value: v, source };
  if (Array.isArray(v) && v.every(isScalar)) return { kind: "literal", value: [...v], source };
  throw new TypeError(`expected a string, number, boolean or a list of them, got ${JSON.stringify(v) ?? typeof v}`);
}
