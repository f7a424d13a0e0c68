import type { Expr, Literal, Message, Scalar, SourceLocation, Value } from "../ir/index.js";
import { SdkError } from "./errors.js";
import { liftLookups } from "./lookups.js";
import { toMessage } from "./message.js";
import { paramRefOf, type ParamValue } from "./params.js";
import { refStateOf, valueOfRef } from "./ref-state.js";
import { callerLocation } from "./source.js";

export type { ParamValue };

/** One conjunct of a check that carries its own message. */
export interface Part {
  readonly expr: Expr;
  readonly message?: Message;
}

/**
 * A condition being authored. Wraps an IR expression and, optionally, the message shown when it
 * fails. A conjunction whose items carry messages keeps them as `parts`, so each failing item
 * reports its own message. Immutable: `.message` returns a new check.
 */
export class Check {
  readonly expr: Expr;
  readonly attachedMessage: Message | undefined;
  /** The conjuncts and their messages, when some item of an and() (or an every()) has one. */
  readonly parts: readonly Part[] | undefined;

  constructor(expr: Expr, message?: Message, parts?: readonly Part[]) {
    // A condition on a `get` object is "some object found satisfies it", wrapped where it is built (sdk/lookups.ts).
    this.expr = liftLookups(expr);
    this.attachedMessage = message;
    this.parts = parts?.map((p) => ({ ...p, expr: liftLookups(p.expr) }));
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

  /** Whether this check, or a part of it, carries a message of its own. */
  get hasMessages(): boolean {
    return this.attachedMessage !== undefined || (this.parts?.some((p) => p.message) ?? false);
  }
}

export function isCheck(x: unknown): x is Check {
  return x instanceof Check;
}

/** A check, or a boolean parameter used as one (`when: (_, params) => params.enforceDigest`). */
export function toCheck(x: unknown, what: string): Check {
  if (x instanceof Check) return x;
  const param = paramRefOf(x);
  if (param) {
    const source = callerLocation();
    return new Check({ kind: "compare", op: "eq", left: { ...param, source }, right: { kind: "literal", value: true, source }, source });
  }
  if (refStateOf(x))
    throw new SdkError("invalid_policy", `${what} is a field, not a check: call an operator on it, e.g. .exists() or .equals(true)`);
  throw new SdkError("invalid_policy", `${what} must be a check (e.g. pod.spec.hostNetwork.notEquals(true)), got ${describe(x)}`);
}

function describe(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

/** The parts of a check (itself, when it has none). */
const partsOf = (c: Check): readonly Part[] => c.parts ?? [{ expr: c.expr, ...(c.attachedMessage ? { message: c.attachedMessage } : {}) }];

/** All checks hold. Items with their own messages keep them: each reports its own violation. */
export function and(...items: unknown[]): Check {
  const source = callerLocation();
  const checks = items.map((c, i) => toCheck(c, `and() item ${i + 1}`));
  const expr: Expr = { kind: "and", items: checks.map((c) => c.expr), source };
  return checks.some((c) => c.hasMessages) ? new Check(expr, undefined, checks.flatMap(partsOf)) : new Check(expr);
}

/** A message on an item of or()/not() cannot say which check failed: it is an error at that message. */
function noItemMessages(checks: readonly Check[], fn: string): void {
  for (const c of checks) {
    const m = c.attachedMessage ?? c.parts?.find((p) => p.message)?.message;
    if (m) {
      throw new SdkError(
        "invalid_policy",
        `a message inside ${fn}() cannot tell which check failed: put .message on the ${fn}() itself`,
        m.source,
      );
    }
  }
}

/** At least one check holds. */
export function or(...items: unknown[]): Check {
  const source = callerLocation();
  const checks = items.map((c, i) => toCheck(c, `or() item ${i + 1}`));
  noItemMessages(checks, "or");
  return new Check({ kind: "or", items: checks.map((c) => c.expr), source });
}

/** The check does not hold. */
export function not(check: unknown): Check {
  const source = callerLocation();
  const c = toCheck(check, "not()'s argument");
  noItemMessages([c], "not");
  return new Check({ kind: "not", item: c.expr, source });
}

/** `then` needs to hold only where `condition` holds; `then`'s message is the violation's. */
export function implies(condition: unknown, then: unknown): Check {
  const source = callerLocation();
  const cond = toCheck(condition, "implies()'s condition");
  noItemMessages([cond], "implies");
  const t = toCheck(then, "implies()'s consequence");
  const expr = (e: Expr): Expr => ({ kind: "or", items: [{ kind: "not", item: cond.expr, source }, e], source });
  if (t.parts)
    return new Check(
      expr(t.expr),
      undefined,
      t.parts.map((p) => ({ ...p, expr: expr(p.expr) })),
    );
  return new Check(expr(t.expr), t.attachedMessage);
}

/** Never holds: the rule always reports its message ("resources of this kind are not allowed here"). */
export function deny(message: TemplateStringsArray | string, ...values: unknown[]): Check {
  const source = callerLocation();
  return new Check({ kind: "const", value: false, source }, toMessage(message, values));
}

/** The field exists (any reference: object, list or value). */
export function exists(ref: unknown): Check {
  const source = callerLocation();
  const s = refStateOf(ref);
  if (!s || s.kind !== "fields" || s.refs.length !== 1) throw new SdkError("invalid_policy", "exists() needs a single field");
  return new Check({ kind: "exists", field: { ...s.refs[0]!, source }, source });
}

/** The field is missing. */
export function absent(ref: unknown): Check {
  const source = callerLocation();
  return new Check({ kind: "not", item: exists(ref).expr, source });
}

function isScalar(x: unknown): x is Scalar {
  return typeof x === "string" || (typeof x === "number" && Number.isFinite(x)) || typeof x === "boolean";
}

/** A value written in a policy: a literal, a parameter, a field or a computed value. */
export function toValue(v: unknown, source: SourceLocation, what = "value"): Value {
  const param = paramRefOf(v);
  if (param) return { ...param, source };
  const ref = refStateOf(v);
  if (ref) return valueOfRef(ref, source, what);
  return toLiteral(v, source, what);
}

export function toLiteral(v: unknown, source: SourceLocation, what = "value"): Literal {
  if (isScalar(v)) return { kind: "literal", value: v, source };
  if (Array.isArray(v) && v.every(isScalar)) return { kind: "literal", value: [...v], source };
  if (typeof v === "bigint") throw new SdkError("invalid_policy", `${what} is a BigInt; write it as a number or a string`, source);
  throw new SdkError(
    "invalid_policy",
    `${what} must be a string, number, boolean, a list of them, a field or a parameter; got ${JSON.stringify(v) ?? typeof v}`,
    source,
  );
}
