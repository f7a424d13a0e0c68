import type { Expr, FieldRef, Scalar, Scope } from "../ir/index.js";
import { Check, toListArg, toOperand, type ParamValue } from "./check.js";
import { fieldOf, STATE, type RefState } from "./ref-state.js";
import { callerLocation } from "./source.js";

/**
 * Typed field references. `pod.spec.containers` is a `ListRef<Container>`, `c.image` a
 * `StringRef`; a misspelled field is a type error. At run time each reference is a Proxy that
 * records its path: reading a property extends the path, calling one applies the operator of
 * that name to the path before it (so a custom resource may well have a field named `count`).
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

export type ObjectRef<T> = { readonly [K in keyof T]-?: Ref<T[K]> } & PresenceOps & FieldMarker;

/**
 * A map such as labels, annotations or resource limits. `labels.at("app.kubernetes.io/name")`
 * reads a key (plain indexing also works, but is `| undefined` under noUncheckedIndexedAccess).
 */
export type MapRef<V> = { readonly [key: string]: Ref<V> } & {
  at(key: string): Ref<V>;
} & PresenceOps &
  FieldMarker;

/** Pod specs (and pod templates' specs) get `allContainers`: containers, init and ephemeral. */
export interface PodSpecExtras<T> {
  readonly allContainers: ListRef<T extends { containers: readonly (infer C)[] } ? C : never>;
}

declare const FIELD: unique symbol;
interface FieldMarker {
  readonly [FIELD]?: true;
}

interface PresenceOps {
  /** The field is present (a null value counts as present). */
  exists(): Check;
  /** The field is missing. */
  absent(): Check;
}

interface EqualityOps<T extends Scalar> extends PresenceOps, FieldMarker {
  equals(value: T | ParamValue<T>): Check;
  /** True when the field differs from `value`, or is missing. */
  notEquals(value: T | ParamValue<T>): Check;
  oneOf(values: readonly T[] | ParamValue<readonly T[]>): Check;
  /** True when the field is none of `values`, or is missing. */
  notOneOf(values: readonly T[] | ParamValue<readonly T[]>): Check;
}

type StringArg = string | readonly string[] | ParamValue<string> | ParamValue<readonly string[]>;

export interface StringRef extends EqualityOps<string> {
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
}

export interface NumberRef extends EqualityOps<number> {
  lt(n: number | ParamValue<number>): Check;
  lte(n: number | ParamValue<number>): Check;
  gt(n: number | ParamValue<number>): Check;
  gte(n: number | ParamValue<number>): Check;
  /** Compare as a Kubernetes quantity (quantities may be plain numbers). */
  quantity(): QuantityRef;
}

export interface BoolRef extends EqualityOps<boolean> {
  isTrue(): Check;
  isFalse(): Check;
}

export interface QuantityRef {
  equals(q: string | ParamValue<string>): Check;
  lt(q: string | ParamValue<string>): Check;
  lte(q: string | ParamValue<string>): Check;
  gt(q: string | ParamValue<string>): Check;
  gte(q: string | ParamValue<string>): Check;
}

export interface CountRef {
  equals(n: number): Check;
  lt(n: number): Check;
  lte(n: number): Check;
  gt(n: number): Check;
  gte(n: number): Check;
}

export interface ListRef<E> extends PresenceOps, FieldMarker {
  /** Holds for every element (true for a missing or empty list). */
  every(body: (element: Ref<E>) => Check): Check;
  /** Holds for at least one element (false for a missing or empty list). */
  some(body: (element: Ref<E>) => Check): Check;
  /** Holds for no element. */
  none(body: (element: Ref<E>) => Check): Check;
  /** The list holds this value. */
  includes(value: E extends Scalar ? E | ParamValue<E> : never): Check;
  isEmpty(): Check;
  isNotEmpty(): Check;
  count(): CountRef;
}

export type AnyRef = StringRef & NumberRef & BoolRef & ListRef<unknown> & { readonly [key: string]: AnyRef };

/** Element variable names in use by quantifiers being built (building is synchronous). */
const activeVariables: string[] = [];

const RESERVED = new Set([
  "in",
  "as",
  "if",
  "else",
  "not",
  "some",
  "every",
  "with",
  "default",
  "import",
  "package",
  "contains",
  "true",
  "false",
  "null",
  "input",
  "data",
  "object",
  "oldObject",
  "request",
  "params",
  "variables",
  "namespaceObject",
  "authorizer",
  "subject",
  "break",
  "const",
  "continue",
  "for",
  "function",
  "let",
  "loop",
  "namespace",
  "return",
  "var",
  "void",
  "while",
  "future",
  "rego",
  "msg",
  "details",
  "violation",
]);

export function subjectRef<T>(): Ref<T> {
  return makeRef({ refs: [{ kind: "field", scope: { kind: "subject" }, path: [], source: callerLocation() }] }) as Ref<T>;
}

function makeRef(state: RefState): unknown {
  const target = function policycRef() {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === STATE) return state;
      if (typeof prop === "symbol") return undefined;
      if (prop === "then") return undefined; // never look like a promise
      if (prop === "allContainers") {
        const base = state.refs[0]!;
        const at = (f: string): FieldRef => ({ ...base, path: [...base.path, f] });
        return makeRef({ refs: [at("containers"), at("initContainers"), at("ephemeralContainers")] });
      }
      return makeRef({ refs: state.refs.map((r) => ({ ...r, path: [...r.path, prop] })) });
    },
    apply(_t, _this, args: unknown[]) {
      const last = state.refs.map((r) => r.path[r.path.length - 1]);
      const method = last[0];
      const parent: RefState = { refs: state.refs.map((r) => ({ ...r, path: r.path.slice(0, -1) })) };
      if (method === undefined) throw new TypeError("a resource reference is not a function");
      return applyOperator(parent, method, args);
    },
  });
}

function single(state: RefState, method: string): FieldRef {
  if (state.refs.length !== 1) throw new TypeError(`${method}() needs a single field; allContainers is a list`);
  return { ...state.refs[0]!, source: callerLocation() };
}

function applyOperator(state: RefState, method: string, args: unknown[]): unknown {
  const source = callerLocation();
  const field = () => single(state, method);
  const leaf = (e: Expr) => new Check(e);
  const not = (e: Expr): Check => new Check({ kind: "not", item: e, source });
  const compare = (op: "eq" | "lt" | "le" | "gt" | "ge", v: unknown): Expr => ({
    kind: "compare",
    op,
    left: field(),
    right: toOperand(v, source),
    source,
  });
  const str = (op: "startsWith" | "endsWith" | "contains" | "matches" | "glob", v: unknown): Check =>
    leaf({ kind: "string", op, value: field(), arg: toListArg(v, source), source });
  const lists = (): FieldRef[] => state.refs.map((r) => ({ ...r, source }));
  switch (method) {
    case "exists":
      return state.refs.length === 1 ? leaf({ kind: "exists", field: field(), source }) : leaf(countExpr(lists(), "gt", 0, source));
    case "absent":
      return state.refs.length === 1 ? not({ kind: "exists", field: field(), source }) : leaf(countExpr(lists(), "eq", 0, source));
    case "equals":
      return leaf(compare("eq", args[0]));
    case "notEquals":
      return not(compare("eq", args[0]));
    case "isTrue":
      return leaf(compare("eq", true));
    case "isFalse":
      return leaf(compare("eq", false));
    case "oneOf":
      return leaf({ kind: "in", value: field(), list: toListArg(args[0], source), source });
    case "notOneOf":
      return not({ kind: "in", value: field(), list: toListArg(args[0], source), source });
    case "lt":
      return leaf(compare("lt", args[0]));
    case "lte":
      return leaf(compare("le", args[0]));
    case "gt":
      return leaf(compare("gt", args[0]));
    case "gte":
      return leaf(compare("ge", args[0]));
    case "startsWith":
    case "endsWith":
    case "contains":
    case "matches":
    case "glob":
      return str(method, args[0]);
    case "quantity":
      return quantityRef(field());
    case "at": {
      if (typeof args[0] !== "string") throw new TypeError("at() needs a string key");
      const key = args[0];
      return makeRef({ refs: state.refs.map((r) => ({ ...r, path: [...r.path, key] })) });
    }
    case "every":
    case "some":
    case "none":
      return quantifier(method, lists(), args[0], source);
    case "includes": {
      const v = toOperand(args[0], source);
      return quantifier(
        "some",
        lists(),
        (e: unknown) => new Check({ kind: "compare", op: "eq", left: fieldOf(e), right: v, source }),
        source,
      );
    }
    case "isEmpty":
      return leaf(countExpr(lists(), "eq", 0, source));
    case "isNotEmpty":
      return leaf(countExpr(lists(), "gt", 0, source));
    case "count":
      return countRef(lists());
    default:
      throw new TypeError(`unknown operator ${method}() on ${state.refs[0]?.path.join(".")}`);
  }
}

function countExpr(lists: FieldRef[], op: "eq" | "lt" | "le" | "gt" | "ge", value: number, source: FieldRef["source"]): Expr {
  return { kind: "count", op, lists, value, source };
}

function countRef(lists: FieldRef[]): CountRef {
  const c = (op: "eq" | "lt" | "le" | "gt" | "ge") => (n: number) => new Check(countExpr(lists, op, n, callerLocation()));
  return { equals: c("eq"), lt: c("lt"), lte: c("le"), gt: c("gt"), gte: c("ge") };
}

function quantityRef(left: FieldRef): QuantityRef {
  const q = (op: "eq" | "lt" | "le" | "gt" | "ge") => (v: unknown) => {
    const source = callerLocation();
    return new Check({ kind: "quantity", op, left, right: toListArg(v, source), source });
  };
  return { equals: q("eq"), lt: q("lt"), lte: q("le"), gt: q("gt"), gte: q("ge") };
}

function variableName(lists: readonly FieldRef[]): string {
  const last = lists.length > 1 ? "container" : (lists[0]?.path[lists[0].path.length - 1] ?? "item");
  let base = /ies$/.test(last) ? last.replace(/ies$/, "y") : /[^s]s$/.test(last) ? last.slice(0, -1) : last;
  base = base.replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[a-z]/.test(base)) base = `el_${base}`;
  let name = base;
  for (let i = 2; RESERVED.has(name) || activeVariables.includes(name); i++) name = `${base}${i}`;
  return name;
}

function quantifier(kind: "every" | "some" | "none", lists: FieldRef[], body: unknown, source: FieldRef["source"]): Check {
  if (typeof body !== "function") throw new TypeError(`${kind}() needs a function (element) => check`);
  const variable = variableName(lists);
  const scope: Scope = { kind: "element", variable };
  activeVariables.push(variable);
  let inner: unknown;
  try {
    inner = body(makeRef({ refs: [{ kind: "field", scope, path: [], source }] }));
  } finally {
    activeVariables.pop();
  }
  if (!(inner instanceof Check)) throw new TypeError(`the function given to ${kind}() must return a check, got ${typeof inner}`);
  const expr: Expr = {
    kind: "quantifier",
    quantifier: kind === "every" ? "all" : "any",
    lists,
    variable,
    body: inner.expr,
    source,
  };
  // A message on the element check explains the violation element by element.
  const msg = inner.attachedMessage;
  const check = kind === "none" ? new Check({ kind: "not", item: expr, source }) : new Check(expr);
  return msg ? check.withMessage(msg) : check;
}
