import type { ParamRef } from "../ir/index.js";
import { callerLocation } from "./source.js";

declare const PARAM: unique symbol;

/** A policy parameter of type T, read inside rules: `params.registries`. */
export interface ParamValue<T> {
  readonly [PARAM]: T;
}

/** The parameters object rules receive: every field, at any depth, is a `ParamValue`. */
export type Params<T> = {
  readonly [K in keyof T]-?: ParamValue<T[K]> &
    (NonNullable<T[K]> extends readonly unknown[] ? unknown : NonNullable<T[K]> extends object ? Params<NonNullable<T[K]>> : unknown);
};

const PARAM_STATE = Symbol.for("policyc.param-state");

export function paramsRef<T>(): Params<T> {
  return makeParam([]) as Params<T>;
}

function makeParam(path: readonly string[]): unknown {
  return new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === PARAM_STATE) return path;
        if (typeof prop === "symbol" || prop === "then") return undefined;
        return makeParam([...path, prop]);
      },
    },
  );
}

export function paramRefOf(x: unknown): ParamRef | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  const path = (x as { [PARAM_STATE]?: readonly string[] })[PARAM_STATE];
  if (!path) return undefined;
  return { kind: "param", path, source: callerLocation() };
}
