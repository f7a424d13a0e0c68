import type { FieldRef, ListSource, SourceLocation, Value } from "../ir/index.js";
import { SdkError } from "./errors.js";
import type { Shape } from "./field-types.js";

/**
 * What a reference proxy stands for:
 * - `fields`: a field path (several for a virtual list such as `allContainers`);
 * - `value`: a value computed from others (an image part, a lower-cased string, a concatenation);
 * - `list`: a list computed from a value (a split string).
 * `shape` is what is known of the fields' type (see `field-types.ts`): reading a field it does not
 * have is an error.
 */
export type RefState =
  | { readonly kind: "fields"; readonly refs: readonly FieldRef[]; readonly shape: Shape }
  | { readonly kind: "value"; readonly value: Value }
  /** `item`: the shape of the list's items (a lookup's objects); strings when absent (a split string, a map's keys). */
  | { readonly kind: "list"; readonly list: ListSource; readonly item?: Shape };

/** The key under which a reference proxy answers its state. */
export const STATE = Symbol.for("policyc.ref-state");

export function refStateOf(x: unknown): RefState | undefined {
  if ((typeof x === "function" || typeof x === "object") && x !== null) return (x as { [STATE]?: RefState })[STATE];
  return undefined;
}

/** The single field a reference names. */
export function fieldOf(x: unknown, what = "value"): FieldRef {
  const s = refStateOf(x);
  if (!s || s.kind !== "fields") throw new SdkError("invalid_policy", `expected a field as ${what}`);
  if (s.refs.length !== 1) throw new SdkError("invalid_policy", `${what} must be a single field, not a combined list`);
  return s.refs[0]!;
}

/** The value a reference stands for (a field, or a computed value), located at `source`. */
export function valueOfRef(s: RefState, source: SourceLocation, what = "value"): Value {
  if (s.kind === "value") return s.value;
  if (s.kind === "list") throw new SdkError("invalid_policy", `${what} is a list; use every(), some(), includes() or count() on it`);
  if (s.refs.length !== 1) throw new SdkError("invalid_policy", `${what} must be a single field, not a combined list`);
  return { ...s.refs[0]!, source };
}

/** The list sources a reference stands for. */
export function listsOfRef(s: RefState, source: SourceLocation): ListSource[] {
  if (s.kind === "list") return [s.list];
  if (s.kind === "value") throw new SdkError("invalid_policy", "a computed value is not a list");
  return s.refs.map((r) => ({ ...r, source }));
}
