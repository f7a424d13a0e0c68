/**
 * The operators of field references, defined once (the OPERATORS table in refs.ts, next to the
 * builders it calls, typed by this file): for each, the shapes of field that offer it, the IR node
 * kinds it builds, and how it builds them from its arguments. The reference proxies read a
 * property as an operator exactly when the table offers it on the field's shape, and apply it
 * through the table; the TypeScript interfaces of references are checked against the
 * table at compile time (the `Exactly` assertions at the end of refs.ts), so an operator cannot be
 * typed but not built, or built but not typed. Below the SDK, every IR kind an operator builds is
 * handled by each lowering and by the reference engine (their switches end in assertNever).
 */
import type { Expr, SourceLocation } from "../ir/index.js";
import type { RefState } from "./ref-state.js";

/** The shapes of field a reference can have, as far as operators go (`scalar`: string or number; `labelSelector`: a LabelSelector object). */
export type OperandShape = "object" | "map" | "list" | "string" | "number" | "boolean" | "scalar" | "labelSelector";

/** One call of an operator: on what, with which arguments, written where. */
export interface OperatorCall {
  readonly state: RefState;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly source: SourceLocation;
}

export interface OperatorSpec {
  /** The shapes that offer it. */
  readonly on: readonly OperandShape[];
  /** The IR expressions it builds (none: it builds a reference, a computed value or list). */
  readonly ir: readonly Expr["kind"][];
  /** What the call returns: a Check, or a reference to go on from. */
  readonly build: (call: OperatorCall) => unknown;
}

export type OperatorName =
  | "exists"
  | "absent"
  | "equals"
  | "notEquals"
  | "oneOf"
  | "notOneOf"
  | "lt"
  | "lte"
  | "gt"
  | "gte"
  | "isTrue"
  | "isFalse"
  | "startsWith"
  | "endsWith"
  | "contains"
  | "matches"
  | "glob"
  | "quantity"
  | "image"
  | "lower"
  | "upper"
  | "split"
  | "at"
  | "selects"
  | "unchecked"
  | "keys"
  | "every"
  | "some"
  | "none"
  | "includes"
  | "isEmpty"
  | "isNotEmpty"
  | "count"
  | "join";

/** The operators a shape offers (as a type: the names of its `on`). */
export type OperatorsOn<T extends Record<OperatorName, { readonly on: readonly OperandShape[] }>, S extends OperandShape> = {
  [K in OperatorName]: S extends T[K]["on"][number] ? K : never;
}[OperatorName];
