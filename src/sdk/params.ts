import type { ParamRef } from "../ir/index.js";
import { callerLocation } from "./source.js";

declare const PARAM: unique symbol;

/**
 * A policy parameter of type T, read inside rules: `params.registries`. A list parameter can be
 * iterated (`params.required.every((r) => …)`), a boolean one used as a condition, a string one
 * as a map key (`labels.at(params.key)`).
 */
export interface ParamValue<T> {
  readonly [PARAM]: T;
}

/** The operations of a parameter, by its type. */
export type ParamOps<T> =
  NonNullable<T> extends readonly (infer E)[]
    ? ParamListOps<E>
    : NonNullable<T> extends boolean
      ? ParamBoolOps
      : NonNullable<T> extends string | number
        ? ParamScalarOps<NonNullable<T>>
        : unknown;

export interface ParamListOps<E> {
  /** Holds for every item (true for an empty list). */
  every(body: (item: ParamItem<E>) => unknown): import("./check.js").Check;
  /** Holds for at least one item. */
  some(body: (item: ParamItem<E>) => unknown): import("./check.js").Check;
  /** Holds for no item. */
  none(body: (item: ParamItem<E>) => unknown): import("./check.js").Check;
  isEmpty(): import("./check.js").Check;
  isNotEmpty(): import("./check.js").Check;
}

export interface ParamBoolOps {
  isTrue(): import("./check.js").Check;
  isFalse(): import("./check.js").Check;
}

export interface ParamScalarOps<T> {
  equals(value: T): import("./check.js").Check;
  notEquals(value: T): import("./check.js").Check;
}

/** An item of a list parameter, read like a field: `r.key`, `r.pattern`. */
export type ParamItem<E> = import("./refs.js").Ref<E>;

/** The parameters object rules receive: every field, at any depth, is a `ParamValue`. */
export type Params<T> = {
  readonly [K in keyof T]-?: ParamValue<T[K]> &
    ParamOps<T[K]> &
    (NonNullable<T[K]> extends readonly unknown[] ? unknown : NonNullable<T[K]> extends object ? Params<NonNullable<T[K]>> : unknown);
};

/** The key under which a parameter proxy answers its path. */
export const PARAM_STATE = Symbol.for("policyc.param-state");
/** The key under which a parameter proxy answers its shape (from the parameters' schema). */
export const PARAM_SHAPE = Symbol.for("policyc.param-shape");

/** The shape of a parameter proxy, as its schema declares it. */
export function paramShapeOf(x: unknown): import("./field-types.js").Shape | undefined {
  if ((typeof x !== "object" && typeof x !== "function") || x === null) return undefined;
  return (x as { [PARAM_SHAPE]?: import("./field-types.js").Shape })[PARAM_SHAPE];
}

export function paramPathOf(x: unknown): readonly string[] | undefined {
  if ((typeof x !== "object" && typeof x !== "function") || x === null) return undefined;
  return (x as { [PARAM_STATE]?: readonly string[] })[PARAM_STATE];
}

export function paramRefOf(x: unknown): ParamRef | undefined {
  const path = paramPathOf(x);
  return path ? { kind: "param", path, source: callerLocation() } : undefined;
}
