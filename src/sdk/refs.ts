import type { Expr, FieldRef, KeySegment, ListSource, Scalar, Scope, SourceLocation, Value } from "../ir/index.js";
import { Check, toCheck, toLiteral, toValue, type Part, type ParamValue } from "./check.js";
import { SdkError } from "./errors.js";
import { PARAM_SHAPE, PARAM_STATE, paramPathOf, paramShapeOf } from "./params.js";
import { ANY, closest, describe, unionShape, type Shape } from "./field-types.js";
import { listsOfRef, refStateOf, STATE, valueOfRef, type RefState } from "./ref-state.js";
import type { OperandShape, OperatorCall, OperatorName, OperatorSpec, OperatorsOn } from "./operators.js";
import { callerLocation } from "./source.js";
import { liftedNames } from "./lookups.js";

/**
 * Typed references. `pod.spec.containers` is a `ListRef<Container>`, `c.image` a `StringRef`;
 * a misspelled field is a type error. At run time each reference is a Proxy that records its
 * path: reading a property extends the path, calling one applies the operator of that name to
 * the path before it (so a custom resource may well have a field named `count`).
 */
export type Ref<T> = [NonNullable<T>] extends [readonly (infer E)[]]
  ? ListRef<E>
  : [NonNullable<T>] extends [string]
    ? StringRef
    : [NonNullable<T>] extends [number]
      ? NumberRef
      : [NonNullable<T>] extends [boolean]
        ? BoolRef
        : [NonNullable<T>] extends [string | number]
          ? StringRef & NumberRef
          : [NonNullable<T>] extends [{ containers: readonly unknown[] }]
            ? ObjectRef<NonNullable<T>> & PodSpecExtras<NonNullable<T>>
            : [NonNullable<T>] extends [object]
              ? string extends keyof NonNullable<T>
                ? MapRef<NonNullable<T>[string]>
                : ObjectRef<NonNullable<T>>
              : AnyRef;

export type ObjectRef<T> = { readonly [K in keyof T]-?: Ref<T[K]> } & PresenceOps & FieldMarker & UncheckedOps & SelectorOpsOf<T>;

/** A LabelSelector (its fields are matchLabels and matchExpressions) offers selects(). */
type SelectorOpsOf<T> = [keyof T] extends [never]
  ? unknown
  : [keyof T] extends ["matchLabels" | "matchExpressions"]
    ? SelectorOps
    : unknown;

/** What a label selector offers. */
export interface SelectorOps {
  /**
   * The selector selects these labels, as Kubernetes matches them: `pdb.spec.selector.selects(d.spec.template.metadata.labels)`.
   * A LabelSelector: every matchLabels pair and matchExpressions requirement holds (`{}` selects all; missing selects none).
   * A plain map (a Service's `spec.selector`): every pair is among the labels (missing or empty selects none).
   */
  selects(labels: MapRef<string> | FieldMarker): Check;
}

/** A key a map is read with: a string, a string parameter, or a string read from the object. */
export type KeyArg = string | ParamValue<string> | StringRef;

/**
 * A map such as labels, annotations or resource limits. `labels.at("app.kubernetes.io/name")`
 * reads a key (plain indexing also works, but is `| undefined` under noUncheckedIndexedAccess);
 * the key may come from a parameter (`labels.at(params.key)`) or an element (`labels.at(r.key)`).
 */
export type MapRef<V> = { readonly [key: string]: Ref<V> } & MapOps<V> & PresenceOps & FieldMarker;

/** What a map offers besides its keys. */
export interface MapOps<V> extends SelectorOps {
  at(key: KeyArg): Ref<V>;
  /** The map's keys, to iterate: `annotations.keys().every((k) => …)` (in no particular order). */
  keys(): ListRef<string>;
}

/** Pod specs (and pod templates' specs) get `allContainers`: containers, init and ephemeral. */
export interface PodSpecExtras<T> {
  readonly allContainers: ListRef<T extends { containers: readonly (infer C)[] } ? C : never>;
}

declare const FIELD: unique symbol;
export interface FieldMarker {
  readonly [FIELD]?: true;
}

interface PresenceOps {
  /** The field is present (a null value counts as present). */
  exists(): Check;
  /** The field is missing. */
  absent(): Check;
}

interface UncheckedOps {
  /** A field the field table does not know (newer than it, or a custom kind's), read unchecked. */
  unchecked(field: string): AnyRef;
}

/** A value a scalar is compared with: a constant, a parameter, or another field. */
type EqArg<T> = T | ParamValue<T> | FieldMarker;

interface EqualityOps<T extends Scalar> extends PresenceOps, FieldMarker {
  equals(value: EqArg<T>): Check;
  /** True when the field differs from `value`, or is missing. */
  notEquals(value: EqArg<T>): Check;
  oneOf(values: readonly T[] | ParamValue<readonly T[]> | ListRef<T>): Check;
  /** True when the field is none of `values`, or is missing. */
  notOneOf(values: readonly T[] | ParamValue<readonly T[]> | ListRef<T>): Check;
}

type StringArg = string | readonly string[] | ParamValue<string> | ParamValue<readonly string[]> | StringRef;

/** Operations on strings (fields, and strings computed from them). */
export interface StringOps extends FieldMarker {
  equals(value: EqArg<string>): Check;
  notEquals(value: EqArg<string>): Check;
  oneOf(values: readonly string[] | ParamValue<readonly string[]> | ListRef<string>): Check;
  notOneOf(values: readonly string[] | ParamValue<readonly string[]> | ListRef<string>): Check;
  /** With a list, true when the value starts with any of the prefixes. */
  startsWith(prefix: StringArg): Check;
  endsWith(suffix: StringArg): Check;
  contains(substring: StringArg): Check;
  /** RE2 regular expression, unanchored (use ^ and $), as CEL `matches` and Rego `regex.match`. */
  matches(regex: StringArg): Check;
  /** Glob over the whole value: `*` any run of characters, `?` one character, `[abc]` a class. */
  glob(pattern: string | readonly string[]): Check;
  /** Compare as a Kubernetes quantity (`500m`, `1Gi`). */
  quantity(): QuantityRef;
  /** The parts of a container image reference, normalised (`nginx` → docker.io, library/nginx, latest). */
  image(): ImageRef;
  /** ASCII lower case. */
  lower(): StringRef;
  /** ASCII upper case. */
  upper(): StringRef;
  /** The string split at a separator. */
  split(separator: string): ListRef<string>;
}

export interface StringRef extends StringOps, PresenceOps {}

/** A container image reference's parts (see `image()`). */
export interface ImageRef {
  readonly registry: StringOps;
  readonly repository: StringOps;
  readonly tag: StringOps;
  readonly digest: StringOps;
  /** registry/repository */
  readonly name: StringOps;
}

export interface NumberRef extends EqualityOps<number> {
  lt(n: number | ParamValue<number> | FieldMarker): Check;
  lte(n: number | ParamValue<number> | FieldMarker): Check;
  gt(n: number | ParamValue<number> | FieldMarker): Check;
  gte(n: number | ParamValue<number> | FieldMarker): Check;
  /** Compare as a Kubernetes quantity (quantities may be plain numbers). */
  quantity(): QuantityRef;
}

export interface BoolRef extends EqualityOps<boolean> {
  isTrue(): Check;
  isFalse(): Check;
}

type QuantityArg = string | ParamValue<string> | FieldMarker;

export interface QuantityRef {
  equals(q: QuantityArg): Check;
  lt(q: QuantityArg): Check;
  lte(q: QuantityArg): Check;
  gt(q: QuantityArg): Check;
  gte(q: QuantityArg): Check;
}

export interface CountRef {
  equals(n: number): Check;
  lt(n: number): Check;
  lte(n: number): Check;
  gt(n: number): Check;
  gte(n: number): Check;
}

/** The result of an element check: a check, or a boolean parameter. */
type BodyResult = Check | ParamValue<boolean>;

export interface ListRef<E> extends PresenceOps, FieldMarker {
  /** Holds for every element (true for a missing or empty list). */
  every(body: (element: Ref<E>) => BodyResult): Check;
  /** Holds for at least one element (false for a missing or empty list). */
  some(body: (element: Ref<E>) => BodyResult): Check;
  /** Holds for no element. */
  none(body: (element: Ref<E>) => BodyResult): Check;
  /** The list holds this value. */
  includes(value: E extends Scalar ? EqArg<E> : never): Check;
  isEmpty(): Check;
  isNotEmpty(): Check;
  count(): CountRef;
  /** The items (strings) joined with a separator. */
  join(separator: string): StringRef;
}

export type AnyRef = StringRef & NumberRef & BoolRef & ListRef<unknown> & { readonly [key: string]: AnyRef } & UncheckedOps;

/** Element variable names in use by quantifiers being built (building is synchronous). */
const activeVariables: string[] = [];

/** The element names quantifiers being built hold (a `get` object must not take one). */
export const activeElementNames = (): ReadonlySet<string> => new Set(activeVariables);

/** A reference to the root of a scope (the subject, the old object, the namespace, the request) of a known shape. */
export function scopeRef<T>(scope: Scope, shape: Shape): Ref<T> {
  return makeRef({ kind: "fields", refs: [{ kind: "field", scope, path: [], source: callerLocation() }], shape }) as Ref<T>;
}

export function subjectRef<T>(shape: Shape): Ref<T> {
  return scopeRef<T>({ kind: "subject" }, shape);
}

/** How a user wrote a field reference: `container.securityContext`, `object.metadata.labels["app"]`. */
function pathText(ref: FieldRef, next?: string): string {
  const roots: Record<Scope["kind"], string> = {
    subject: "object",
    oldSubject: "old",
    request: "request",
    namespace: "namespaceObject",
    element: ref.scope.kind === "element" ? ref.scope.variable : "item",
  };
  const segments = [...ref.path, ...(next === undefined ? [] : [next])];
  return segments.reduce<string>(
    (text, seg) =>
      typeof seg === "string" ? (/^[A-Za-z_$][\w$]*$/.test(seg) ? `${text}.${seg}` : `${text}[${JSON.stringify(seg)}]`) : `${text}[…]`,
    roots[ref.scope.kind],
  );
}

/** Reading `prop` of a field of this shape: the field it names, or an operator, or an unknown_field error. */
function readField(state: Extract<RefState, { kind: "fields" }>, prop: string): unknown {
  const { shape } = state;
  const step = (child: Shape) =>
    makeRef({ kind: "fields", refs: state.refs.map((r) => ({ ...r, path: [...r.path, prop] })), shape: child });
  const operator =
    () =>
    (...args: unknown[]) =>
      applyOperator(state, prop, args);
  const where = pathText(state.refs[0]!);
  switch (shape.kind) {
    case "any":
      if (prop === "allContainers") return allContainers(state, ANY);
      return step(ANY); // a field or an operator: the call, if any, tells (see `apply` below)
    case "object": {
      const field = shape.fields(prop);
      if (field) return step(field);
      if (prop === "allContainers" && shape.fields("containers")) return allContainers(state, shape);
      if (offers("object", prop) || (shape.name === "LabelSelector" && offers("labelSelector", prop))) return operator();
      const guess = closest(prop, shape.names());
      throw new SdkError(
        "unknown_field",
        `${pathText(state.refs[0]!, prop)}: ${shape.name} has no field "${prop}"` +
          (guess ? `; did you mean "${guess}"?` : "") +
          ` (a field policyc's field table does not know yet can be read with .unchecked(${JSON.stringify(prop)}))`,
      );
    }
    case "map":
      return offers("map", prop) ? operator() : step(shape.value);
    case "list":
      if (offers("list", prop)) return operator();
      throw new SdkError(
        "unknown_field",
        `${where} is a ${shape.name}: it has no field "${prop}"; read its items with every(), some() or none()`,
      );
    case "scalar": {
      if (offers(shape.type, prop)) return operator();
      throw new SdkError("unknown_field", `${where} is a ${describe(shape)}: it has no field or operator "${prop}"`);
    }
  }
}

/** `spec.allContainers`: containers, init containers and ephemeral containers, read as one list. */
function allContainers(state: Extract<RefState, { kind: "fields" }>, spec: Shape): unknown {
  const base = state.refs[0]!;
  const lists = ["containers", "initContainers", "ephemeralContainers"];
  const shapes = spec.kind === "object" ? lists.map((f) => spec.fields(f)).filter((x): x is Shape => x !== undefined) : [ANY];
  return makeRef({ kind: "fields", refs: lists.map((f) => ({ ...base, path: [...base.path, f] })), shape: unionShape(shapes) });
}

/** The shape of the items of the list a reference stands for. */
function itemShape(state: RefState): Shape {
  if (state.kind === "list") return state.item ?? { kind: "scalar", type: "string" }; // a lookup's objects; a split string, a map's keys
  if (state.kind === "fields" && state.shape.kind === "list") return state.shape.item;
  return ANY;
}

/** A reference proxy for a state. */
export function makeRef(state: RefState): unknown {
  const target = function policycRef() {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === STATE) return state;
      if (typeof prop === "symbol" || prop === "then") return undefined; // never look like a promise
      if (state.kind !== "fields") return (...args: unknown[]) => applyOperator(state, prop, args);
      return readField(state, prop);
    },
    apply(_t, _this, args: unknown[]) {
      // Only references of unknown shape get here: `x.count()` where x may be an object with a field `count`.
      if (state.kind !== "fields") throw new SdkError("invalid_policy", "a computed value is not a function");
      const method = state.refs[0]!.path.at(-1);
      if (typeof method !== "string") throw new SdkError("invalid_policy", "a resource reference is not a function");
      const parent: RefState = { kind: "fields", refs: state.refs.map((r) => ({ ...r, path: r.path.slice(0, -1) })), shape: ANY };
      return applyOperator(parent, method, args);
    },
  });
}

/** A list argument of oneOf/notOneOf: a literal list, a list parameter, or a list read from the object. */
function toListArg(v: unknown, source: SourceLocation): Extract<Expr, { kind: "in" }>["list"] {
  const path = paramPathOf(v);
  if (path) return { kind: "param", path, source };
  const ref = refStateOf(v);
  if (ref) {
    const lists = listsOfRef(ref, source);
    if (lists.length !== 1) throw new SdkError("invalid_policy", "oneOf() takes one list", source);
    const list = lists[0]!;
    if (list.kind === "lookup")
      throw new SdkError("invalid_policy", "oneOf() takes a list of values, not objects looked up: use some() on them", source);
    return list;
  }
  const lit = toLiteral(v, source, "oneOf()'s argument");
  if (!Array.isArray(lit.value)) throw new SdkError("invalid_policy", "oneOf() needs a list of values", source);
  return lit;
}

/** A key for `at()`: a literal, a string parameter, or a string value read from the object. */
function toKey(v: unknown, source: SourceLocation): string | KeySegment {
  if (typeof v === "string") return v;
  const path = paramPathOf(v);
  if (path) return { kind: "key", key: { kind: "param", path, source } };
  const ref = refStateOf(v);
  if (ref) return { kind: "key", key: valueOfRef(ref, source, "at()'s key") };
  throw new SdkError(
    "invalid_policy",
    `at() needs a string key, a string parameter or a string field, got ${JSON.stringify(v) ?? typeof v}`,
    source,
  );
}

// ------------------------------------------------------------------ the operator table

const ALL = ["object", "map", "list", "string", "number", "boolean", "scalar"] as const;
const SCALARS = ["string", "number", "boolean", "scalar"] as const;
const STRINGS = ["string", "scalar"] as const;
const ORDERED = ["number", "scalar"] as const;
const QUANTITIES = ["string", "number", "scalar"] as const;

const leaf = (e: Expr) => new Check(e);
const not = (e: Expr, source: SourceLocation): Check => new Check({ kind: "not", item: e, source });

// ------------------------------------------------------------------ operand types, checked at the call
// A comparison of values of different types never holds on any target (`3 <= "3"`), so a policy
// written that way would silently deny or allow everything: it is a located error where it is
// written, as a misspelled field is. Only what is known is checked (fields the field table types,
// parameters their schema types, literals).

/** What is known of an operand's type; undefined: nothing (an unchecked field, `any`). */
type Known = "string" | "number" | "boolean" | "scalar" | "list" | "object";

function knownOfShape(s: Shape): Known | undefined {
  if (s.kind === "scalar") return s.type;
  if (s.kind === "list") return "list";
  if (s.kind === "object" || s.kind === "map") return "object";
  return undefined;
}

function knownOfValue(v: Value): Known | undefined {
  switch (v.kind) {
    case "case":
    case "concat":
    case "join":
    case "image":
      return "string";
    case "literal":
      return Array.isArray(v.value) ? "list" : v.value === null ? undefined : (typeof v.value as Known);
    default:
      return undefined;
  }
}

/** The type of the subject of an operator call. */
function subjectType(state: RefState): Known | undefined {
  if (state.kind === "fields") return knownOfShape(state.shape);
  if (state.kind === "value") return knownOfValue(state.value);
  return "list";
}

/** The type of an argument, and how to name it in a message. */
function argumentType(v: unknown): { type: Known | undefined; what: string } {
  const path = paramPathOf(v);
  if (path) {
    const shape = paramShapeOf(v);
    return { type: shape ? knownOfShape(shape) : undefined, what: `params.${path.join(".")}` };
  }
  const ref = refStateOf(v);
  if (ref) return { type: subjectType(ref), what: "a field" };
  if (Array.isArray(v)) return { type: "list", what: "a list" };
  if (v === null || v === undefined) return { type: undefined, what: String(v) };
  return { type: typeof v as Known, what: JSON.stringify(v) };
}

const article = (t: Known) => (t === "object" ? "an object" : t === "list" ? "a list" : t === "scalar" ? "a string or number" : `a ${t}`);

/** Whether values of these types can be equal (`scalar`: a quantity or int-or-string, a string or a number). */
const comparable = (a: Known, b: Known) =>
  a === b || (a === "scalar" && (b === "string" || b === "number")) || (b === "scalar" && (a === "string" || a === "number"));

/**
 * Refuses an argument whose type cannot meet the subject's: `expect` says what the operator
 * needs (`same`: the subject's type; `number`; `string`; `list`; `quantity`: a string or number).
 */
function checkArgument(c: OperatorCall, v: unknown, expect: "same" | "number" | "string" | "strings" | "list" | "quantity"): void {
  const subject = subjectType(c.state);
  const arg = argumentType(v);
  if (arg.type === undefined) return;
  const fail = (why: string) => {
    throw new SdkError("type_mismatch", `${c.method}() ${why}`, c.source);
  };
  switch (expect) {
    case "same":
      if (arg.type === "list" || arg.type === "object")
        fail(`compares one value with ${arg.what}, ${article(arg.type)}; use oneOf() for a list`);
      if (subject !== undefined && subject !== "list" && subject !== "object" && !comparable(subject, arg.type))
        fail(
          `compares ${article(subject)} field with ${arg.what}, ${article(arg.type)}: it would never hold (declare the parameter as ${article(subject)})`,
        );
      return;
    case "number":
      if (subject === "scalar" && arg.type !== "number")
        fail(`orders a quantity field by ${arg.what}, ${article(arg.type)}: compare quantities with .quantity().${c.method}(…)`);
      if (arg.type !== "number" && arg.type !== "scalar")
        fail(`orders numbers, and ${arg.what} is ${article(arg.type)} (declare the parameter as a number)`);
      return;
    case "string":
      if (arg.type !== "string" && arg.type !== "scalar") fail(`takes a string, and ${arg.what} is ${article(arg.type)}`);
      return;
    case "strings":
      if (arg.type !== "string" && arg.type !== "scalar" && arg.type !== "list")
        fail(`takes a string or a list of strings, and ${arg.what} is ${article(arg.type)}`);
      return;
    case "list":
      if (arg.type !== "list") fail(`takes a list, and ${arg.what} is ${article(arg.type)}`);
      return;
    case "quantity":
      if (arg.type !== "string" && arg.type !== "number" && arg.type !== "scalar")
        fail(`compares quantities, and ${arg.what} is ${article(arg.type)}`);
      return;
  }
}
const valueOf = (c: OperatorCall): Value => valueOfRef(c.state, c.source, `${c.method}()'s subject`);
const listsOf = (c: OperatorCall): ListSource[] => listsOfRef(c.state, c.source);
const compare = (c: OperatorCall, op: "eq" | "lt" | "le" | "gt" | "ge", v: unknown): Expr => {
  checkArgument(c, v, op === "eq" ? "same" : "number");
  return compareExpr(c, op, v);
};
const compareExpr = (c: OperatorCall, op: "eq" | "lt" | "le" | "gt" | "ge", v: unknown): Expr => ({
  kind: "compare",
  op,
  left: valueOf(c),
  right: toValue(v, c.source, `${c.method}()'s argument`),
  source: c.source,
});
const computed = (v: Value) => makeRef({ kind: "value", value: v });

/** A string test: the subject against a string, a list of them, a parameter or another field. */
function stringTest(op: "startsWith" | "endsWith" | "contains" | "matches" | "glob"): OperatorSpec["build"] {
  return (c) => {
    const v = c.args[0];
    checkArgument(c, v, op === "glob" ? "string" : "strings");
    if (op === "glob" && (paramPathOf(v) || refStateOf(v)))
      throw new SdkError(
        "unsupported_operator",
        "glob patterns must be written in the policy; for a parameter, use matches() with a regex parameter",
        c.source,
      );
    return leaf({ kind: "string", op, value: valueOf(c), arg: toValue(v, c.source, `${op}()'s argument`), source: c.source });
  };
}

/** `oneOf(list)`: the subject is one of a list (a literal list, a list parameter or a list field). */
function inList(c: OperatorCall): Expr {
  checkArgument(c, c.args[0], "list");
  return { kind: "in", value: valueOf(c), list: toListArg(c.args[0], c.source), source: c.source };
}

/** `exists()`/`absent()`: a single field is present; a combined list (allContainers) has elements. */
function presence(c: OperatorCall): Expr {
  if (c.state.kind !== "fields") throw new SdkError("invalid_policy", `${c.method}() needs a field`, c.source);
  return c.state.refs.length === 1
    ? { kind: "exists", field: { ...c.state.refs[0]!, source: c.source }, source: c.source }
    : countExpr(listsOf(c), "gt", 0, c.source);
}

/** `at(key)` reads a map's key; `unchecked(name)` a field the field table does not know. */
function readKey(c: OperatorCall): unknown {
  const { state, method, source } = c;
  if (state.kind !== "fields") throw new SdkError("invalid_policy", `${method}() reads a field of an object`, source);
  if (method === "unchecked" && typeof c.args[0] !== "string")
    throw new SdkError("invalid_policy", "unchecked() needs a field name", source);
  const key = toKey(c.args[0], source);
  const shape = method === "at" && state.shape.kind === "map" ? state.shape.value : ANY;
  return makeRef({ kind: "fields", refs: state.refs.map((r) => ({ ...r, path: [...r.path, key] })), shape });
}

/**
 * `selector.selects(labels)`: a label selector read from an object (a LabelSelector, or a plain map
 * such as a Service's `spec.selector`) selects a set of labels read from another, as Kubernetes
 * matches them (ir: `selects`).
 */
function selects(c: OperatorCall): Expr {
  const arg = refStateOf(c.args[0]);
  if (!arg)
    throw new SdkError("invalid_policy", "selects() takes the labels to match, read from an object (pod.metadata.labels)", c.source);
  if (arg.kind === "fields" && arg.shape.kind !== "map" && arg.shape.kind !== "any")
    throw new SdkError("type_mismatch", `selects() matches a map of labels, and its argument is ${describe(arg.shape)}`, c.source);
  const style = c.state.kind === "fields" && c.state.shape.kind === "map" ? "map" : "labelSelector";
  return { kind: "selects", style, selector: valueOf(c), labels: toValue(c.args[0], c.source, "selects()'s labels"), source: c.source };
}

/** Every operator of field references: which shapes offer it, what IR it builds, how. */
export const OPERATORS = {
  exists: { on: ALL, ir: ["exists", "count"], build: (c) => leaf(presence(c)) },
  absent: { on: ALL, ir: ["exists", "count", "not"], build: (c) => not(presence(c), c.source) },
  equals: { on: SCALARS, ir: ["compare"], build: (c) => leaf(compare(c, "eq", c.args[0])) },
  notEquals: { on: SCALARS, ir: ["compare", "not"], build: (c) => not(compare(c, "eq", c.args[0]), c.source) },
  oneOf: {
    on: SCALARS,
    ir: ["in"],
    build: (c) => leaf({ kind: "in", value: valueOf(c), list: toListArg(c.args[0], c.source), source: c.source }),
  },
  notOneOf: {
    on: SCALARS,
    ir: ["in", "not"],
    build: (c) => not(inList(c), c.source),
  },
  lt: { on: ORDERED, ir: ["compare"], build: (c) => leaf(compare(c, "lt", c.args[0])) },
  lte: { on: ORDERED, ir: ["compare"], build: (c) => leaf(compare(c, "le", c.args[0])) },
  gt: { on: ORDERED, ir: ["compare"], build: (c) => leaf(compare(c, "gt", c.args[0])) },
  gte: { on: ORDERED, ir: ["compare"], build: (c) => leaf(compare(c, "ge", c.args[0])) },
  isTrue: { on: ["boolean"], ir: ["compare"], build: (c) => leaf(compareExpr(c, "eq", true)) },
  isFalse: { on: ["boolean"], ir: ["compare"], build: (c) => leaf(compareExpr(c, "eq", false)) },
  startsWith: { on: STRINGS, ir: ["string"], build: stringTest("startsWith") },
  endsWith: { on: STRINGS, ir: ["string"], build: stringTest("endsWith") },
  contains: { on: STRINGS, ir: ["string"], build: stringTest("contains") },
  matches: { on: STRINGS, ir: ["string"], build: stringTest("matches") },
  glob: { on: STRINGS, ir: ["string"], build: stringTest("glob") },
  quantity: { on: QUANTITIES, ir: ["quantity"], build: (c) => quantityRef(valueOf(c)) },
  image: { on: STRINGS, ir: [], build: (c) => imageRef(valueOf(c), c.source) },
  lower: { on: STRINGS, ir: [], build: (c) => computed({ kind: "case", to: "lower", of: valueOf(c), source: c.source }) },
  upper: { on: STRINGS, ir: [], build: (c) => computed({ kind: "case", to: "upper", of: valueOf(c), source: c.source }) },
  split: {
    on: STRINGS,
    ir: [],
    build: (c) => {
      if (typeof c.args[0] !== "string" || c.args[0] === "")
        throw new SdkError("invalid_policy", "split() needs a non-empty separator string", c.source);
      return makeRef({ kind: "list", list: { kind: "split", of: valueOf(c), separator: c.args[0], source: c.source } });
    },
  },
  at: { on: ["map"], ir: [], build: readKey },
  selects: { on: ["labelSelector", "map"], ir: ["selects"], build: (c) => leaf(selects(c)) },
  // A map's `unchecked` is a key like any other (MapRef's index signature); the proxy's call trap still applies it.
  unchecked: { on: ["object"], ir: [], build: readKey },
  keys: {
    on: ["map"],
    ir: [],
    build: (c) => {
      if (c.state.kind !== "fields") throw new SdkError("invalid_policy", "keys() reads the keys of a map field", c.source);
      return makeRef({ kind: "list", list: { kind: "keys", of: valueOf(c), source: c.source } });
    },
  },
  every: { on: ["list"], ir: ["quantifier"], build: (c) => quantifier("every", listsOf(c), c.args[0], c.source, itemShape(c.state)) },
  some: { on: ["list"], ir: ["quantifier"], build: (c) => quantifier("some", listsOf(c), c.args[0], c.source, itemShape(c.state)) },
  none: { on: ["list"], ir: ["quantifier", "not"], build: (c) => quantifier("none", listsOf(c), c.args[0], c.source, itemShape(c.state)) },
  includes: {
    on: ["list"],
    ir: ["quantifier", "compare"],
    build: (c) => {
      const v = toValue(c.args[0], c.source, "includes()'s argument");
      const equalsIt = (e: unknown) =>
        new Check({ kind: "compare", op: "eq", left: valueOfRef(refStateOf(e)!, c.source), right: v, source: c.source });
      return quantifier("some", listsOf(c), equalsIt, c.source, ANY);
    },
  },
  isEmpty: { on: ["list"], ir: ["count"], build: (c) => leaf(countExpr(listsOf(c), "eq", 0, c.source)) },
  isNotEmpty: { on: ["list"], ir: ["count"], build: (c) => leaf(countExpr(listsOf(c), "gt", 0, c.source)) },
  count: { on: ["list"], ir: ["count"], build: (c) => countRef(listsOf(c)) },
  join: {
    on: ["list"],
    ir: [],
    build: (c) => {
      if (typeof c.args[0] !== "string") throw new SdkError("invalid_policy", "join() needs a separator string", c.source);
      const ls = listsOf(c);
      if (ls.length !== 1) throw new SdkError("invalid_policy", "join() takes one list", c.source);
      if (ls[0]!.kind === "lookup") throw new SdkError("invalid_policy", "join() joins strings, not objects looked up", c.source);
      return computed({ kind: "join", list: ls[0]!, separator: c.args[0], source: c.source });
    },
  },
} as const satisfies Record<OperatorName, OperatorSpec>;

/** Whether a field of this shape offers the operator (any other property is a field, or a mistake). */
function offers(shape: OperandShape, prop: string): boolean {
  const spec = (OPERATORS as Record<string, OperatorSpec>)[prop];
  return spec !== undefined && spec.on.includes(shape);
}

function applyOperator(state: RefState, method: string, args: unknown[]): unknown {
  const source = callerLocation();
  const spec = (OPERATORS as Record<string, OperatorSpec>)[method];
  if (!spec) throw new SdkError("invalid_policy", `unknown operator ${method}()`, source);
  return spec.build({ state, method, args, source });
}

function countExpr(lists: ListSource[], op: "eq" | "lt" | "le" | "gt" | "ge", value: number, source: SourceLocation): Expr {
  return { kind: "count", op, lists, value, source };
}

function countRef(lists: ListSource[]): CountRef {
  const c = (op: "eq" | "lt" | "le" | "gt" | "ge") => (n: number) => {
    const source = callerLocation();
    if (!Number.isInteger(n) || n < 0)
      throw new SdkError("invalid_policy", `count() compares with a whole number, got ${JSON.stringify(n)}`, source);
    return new Check(countExpr(lists, op, n, source));
  };
  return { equals: c("eq"), lt: c("lt"), lte: c("le"), gt: c("gt"), gte: c("ge") };
}

function quantityRef(left: Value): QuantityRef {
  const q = (op: "eq" | "lt" | "le" | "gt" | "ge") => (v: unknown) => {
    const source = callerLocation();
    const method = { eq: "equals", lt: "lt", le: "lte", gt: "gt", ge: "gte" }[op];
    checkArgument({ state: { kind: "value", value: left }, method: `quantity().${method}`, args: [v], source }, v, "quantity");
    return new Check({ kind: "quantity", op, left, right: toValue(v, source, "the quantity"), source });
  };
  return { equals: q("eq"), lt: q("lt"), lte: q("le"), gt: q("gt"), gte: q("ge") };
}

function imageRef(of: Value, source: SourceLocation): ImageRef {
  const part = (p: "registry" | "repository" | "tag" | "digest" | "name") =>
    makeRef({ kind: "value", value: { kind: "image", part: p, of, source } }) as StringOps;
  return { registry: part("registry"), repository: part("repository"), tag: part("tag"), digest: part("digest"), name: part("name") };
}

/** The name of a quantifier's element: the list's name in the singular (`containers` → `container`). */
function variableName(lists: readonly ListSource[]): string {
  const listName = (l: ListSource): string => {
    if (l.kind === "split") return "part";
    if (l.kind === "keys") return "key";
    // A lookup's objects are named after their kind (`networkPolicy`).
    if (l.kind === "lookup") return l.target.kind.charAt(0).toLowerCase() + l.target.kind.slice(1);
    const last = l.path.at(-1);
    return typeof last === "string" ? last : "item";
  };
  const last = lists.length > 1 ? "container" : listName(lists[0]!);
  let base =
    lists[0]!.kind === "lookup" ? last : /ies$/.test(last) ? last.replace(/ies$/, "y") : /[^s]s$/.test(last) ? last.slice(0, -1) : last;
  base = base.replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[a-z]/.test(base)) base = `el_${base}`;
  let name = base;
  // A name a target reserves (a keyword, a predeclared variable) is renamed by that target's
  // lowering, which alone knows its list (ir/rename-elements.ts). `get` objects hold theirs.
  const lifted = liftedNames();
  for (let i = 2; activeVariables.includes(name) || lifted.has(name); i++) name = `${base}${i}`;
  return name;
}

function quantifier(kind: "every" | "some" | "none", lists: ListSource[], body: unknown, source: SourceLocation, item: Shape): Check {
  if (typeof body !== "function") throw new SdkError("invalid_policy", `${kind}() needs a function (element) => check`, source);
  const variable = variableName(lists);
  const scope: Scope = { kind: "element", variable };
  activeVariables.push(variable);
  let inner: Check;
  try {
    inner = toCheck(
      body(makeRef({ kind: "fields", refs: [{ kind: "field", scope, path: [], source }], shape: item })),
      `the function given to ${kind}()`,
    );
  } finally {
    activeVariables.pop();
  }
  const q = (b: Expr, quantifier: "all" | "any"): Expr => ({ kind: "quantifier", quantifier, lists, variable, body: b, source });
  if (inner.parts) {
    // every(x => and(a.m1, b.m2)) is and(every(x => a).m1, every(x => b).m2): each keeps its message.
    if (kind !== "every")
      throw new SdkError(
        "invalid_policy",
        `messages inside ${kind}() items cannot tell which check failed: put one .message on the ${kind}()`,
        source,
      );
    const parts: Part[] = inner.parts.map((p) => ({ expr: q(p.expr, "all"), ...(p.message ? { message: p.message } : {}) }));
    return new Check(q(inner.expr, "all"), undefined, parts);
  }
  const expr = q(inner.expr, kind === "every" ? "all" : "any");
  // A message on the element check explains the violation element by element.
  const msg = inner.attachedMessage;
  const check = kind === "none" ? new Check({ kind: "not", item: expr, source }) : new Check(expr);
  return msg ? check.withMessage(msg) : check;
}

const PARAM_OPERATORS: Record<string, ReadonlySet<string>> = {
  list: new Set(["every", "some", "none", "isEmpty", "isNotEmpty"]),
  boolean: new Set(["isTrue", "isFalse", "equals", "notEquals"]),
  string: new Set(["equals", "notEquals"]),
  number: new Set(["equals", "notEquals"]),
  scalar: new Set(["equals", "notEquals"]),
  object: new Set(),
  map: new Set(),
};

/**
 * A parameter proxy: a path into the instance's values, of the shape the parameters' schema
 * gives it, with the operations of list, boolean and scalar parameters.
 */
export function makeParam(path: readonly string[], shape: Shape): unknown {
  return new Proxy(function policycParam() {}, {
    get(_t, prop) {
      if (prop === PARAM_STATE) return path;
      if (prop === PARAM_SHAPE) return shape;
      if (typeof prop === "symbol" || prop === "then") return undefined;
      const at = ["params", ...path].join(".");
      switch (shape.kind) {
        case "any":
          return makeParam([...path, prop], ANY);
        case "map":
          return makeParam([...path, prop], shape.value);
        case "object": {
          const field = shape.fields(prop);
          if (field) return makeParam([...path, prop], field);
          const guess = closest(prop, shape.names());
          throw new SdkError(
            "unknown_field",
            `${at} has no parameter "${prop}"` + (guess ? `; did you mean "${guess}"?` : "; declare it in the policy's params schema"),
          );
        }
        default:
          // An operator keeps its parameter's shape: the call reads it (a list's item shape).
          if (PARAM_OPERATORS[shape.kind === "scalar" ? shape.type : shape.kind]!.has(prop)) return makeParam([...path, prop], shape);
          throw new SdkError("unknown_field", `${at} is a ${describe(shape)} parameter: it has no field or operator "${prop}"`);
      }
    },
    apply(_t, _this, args: unknown[]) {
      const method = path.at(-1);
      const parent = path.slice(0, -1);
      const source = callerLocation();
      if (!method || parent.length === 0) throw new SdkError("invalid_policy", "params is not a function", source);
      const param = { kind: "param" as const, path: parent, source };
      const lists: ListSource[] = [param];
      switch (method) {
        case "every":
        case "some":
        case "none":
          return quantifier(method, lists, args[0], source, shape.kind === "list" ? shape.item : ANY);
        case "isEmpty":
          return new Check(countExpr(lists, "eq", 0, source));
        case "isNotEmpty":
          return new Check(countExpr(lists, "gt", 0, source));
        case "isTrue":
        case "isFalse":
          return new Check({
            kind: "compare",
            op: "eq",
            left: param,
            right: { kind: "literal", value: method === "isTrue", source },
            source,
          });
        case "equals":
        case "notEquals": {
          const e: Expr = { kind: "compare", op: "eq", left: param, right: toValue(args[0], source), source };
          return new Check(method === "equals" ? e : { kind: "not", item: e, source });
        }
        default:
          throw new SdkError("invalid_policy", `unknown operator ${method}() on params.${parent.join(".")}`, source);
      }
    },
  });
}

export function paramsRef<T>(shape: Shape): import("./params.js").Params<T> {
  return makeParam([], shape) as import("./params.js").Params<T>;
}

/** The parts of a container image reference (a string field, or a string computed from fields). */
export function image(ref: StringOps): ImageRef {
  const source = callerLocation();
  const s = refStateOf(ref);
  if (!s) throw new SdkError("invalid_policy", "image() needs a string field, e.g. image(c.image)", source);
  return imageRef(valueOfRef(s, source, "image()'s argument"), source);
}

/** Strings joined end to end: `concat(request.namespace, ":", sa.name)`; missing when a part is. */
export function concat(...parts: unknown[]): StringRef {
  const source = callerLocation();
  if (parts.length === 0) throw new SdkError("invalid_policy", "concat() needs at least one part", source);
  return makeRef({
    kind: "value",
    value: { kind: "concat", items: parts.map((p, i) => toValue(p, source, `concat() part ${i + 1}`)), source },
  }) as StringRef;
}

/** A string built from a template: `` format`${request.namespace}:${sa.name}` ``. */
export function format(strings: TemplateStringsArray, ...values: unknown[]): StringRef {
  const source = callerLocation();
  const parts: unknown[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) parts.push(values[i]);
  });
  if (parts.length === 0) parts.push("");
  return makeRef({
    kind: "value",
    value: { kind: "concat", items: parts.map((p, i) => toValue(p, source, `format part ${i + 1}`)), source },
  }) as StringRef;
}

// ------------------------------------------------------------------ the types agree with the table
// Each interface's operators are exactly the table's for its shape: an operator added to one and
// not the other does not compile.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Ops<T> = Exclude<keyof T, typeof FIELD>;
type Table = typeof OPERATORS;
const operatorTypesAgree: [
  Exactly<Ops<StringRef>, OperatorsOn<Table, "string">>,
  Exactly<Ops<NumberRef>, OperatorsOn<Table, "number">>,
  Exactly<Ops<BoolRef>, OperatorsOn<Table, "boolean">>,
  Exactly<Ops<ListRef<unknown>>, OperatorsOn<Table, "list">>,
  Exactly<Ops<MapOps<unknown> & PresenceOps>, OperatorsOn<Table, "map">>,
  Exactly<Ops<PresenceOps & UncheckedOps>, OperatorsOn<Table, "object">>,
  Exactly<Ops<StringRef & NumberRef>, OperatorsOn<Table, "scalar">>,
  Exactly<Ops<SelectorOps>, OperatorsOn<Table, "labelSelector">>,
] = [true, true, true, true, true, true, true, true];
void operatorTypesAgree;
