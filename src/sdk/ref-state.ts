import type { FieldRef } from "../ir/index.js";

/** Internal state behind a reference proxy: the field path(s) it names. */
export interface RefState {
  /** Several refs only for virtual lists such as `allContainers`. */
  readonly refs: readonly FieldRef[];
}

/** The key under which a reference proxy answers its state. */
export const STATE = Symbol.for("policyc.ref-state");

export function refStateOf(x: unknown): RefState | undefined {
  if ((typeof x === "function" || typeof x === "object") && x !== null) {
    const s = (x as { [STATE]?: RefState })[STATE];
    return s;
  }
  return undefined;
}

/** The single field a reference names; a virtual list cannot be used as a value. */
export function fieldOf(x: unknown, what = "value"): FieldRef {
  const s = refStateOf(x);
  if (!s) throw new TypeError(`expected a field reference as ${what}, got ${JSON.stringify(x)}`);
  if (s.refs.length !== 1) throw new TypeError(`${what} must be a single field, not a combined list`);
  return s.refs[0]!;
}
