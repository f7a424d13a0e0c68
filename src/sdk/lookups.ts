/**
 * Objects of the cluster read from a rule (`ctx.cluster.list(Kind)`, `ctx.cluster.get(Kind, name)`):
 * lookups, IR `ListSource`s of kind `lookup` (see ir/lookups.ts for what they see).
 *
 * `list` is a list reference like any other (every, some, none, count, isEmpty). `get` is the one
 * object of a kind, namespace and name, or none: its fields read as missing when there is none.
 * It is a list of at most one object underneath: each condition built on its fields is wrapped,
 * where it is built, in "some object of the lookup satisfies it" (`any`). So a predicate on a
 * field of a missing object is false and its negation holds, as for any missing field; and since
 * the lookup finds at most one object, `and(any(a), any(b))` means `any(a and b)`.
 */
import type { Expr, ListSource, SourceLocation, Value } from "../ir/index.js";
import { SdkError } from "./errors.js";
import { shapeOfKindRef, unknownKindMessage, type Shape } from "./field-types.js";
import type { Kind } from "./kinds.js";
import type { ParamValue } from "./params.js";
import type { ListRef, Ref, StringRef } from "./refs.js";
import { callerLocation } from "./source.js";

/** A string a lookup is narrowed by: written in the policy, a string parameter, or a string field. */
export type LookupArg = string | ParamValue<string> | StringRef;

export interface LookupOptions {
  /** Another namespace than the request's (for a namespaced kind). */
  readonly namespace?: LookupArg;
  /** Every namespace (for a namespaced kind): the whole cluster. */
  readonly allNamespaces?: boolean;
  /** Only objects that carry each of these labels with this value. */
  readonly labels?: Readonly<Record<string, LookupArg>>;
}

/** The cluster around the request: other objects a rule can read. */
export interface ClusterRefs {
  /**
   * The objects of a kind: in the request's namespace (a namespaced kind; `namespace` or
   * `allNamespaces` to look elsewhere), or in the cluster (a cluster-scoped kind). Never the object
   * under review itself (read it, or its old version, as the subject and `old`).
   */
  list<T>(kind: Kind<T>, options?: LookupOptions): ListRef<T>;
  /**
   * The object of a kind with this name (in the request's namespace, or `namespace`), or none:
   * `ctx.cluster.get(Role, rb.roleRef.name).exists()`; its fields read as missing when there is none.
   */
  get<T>(kind: Kind<T>, name: LookupArg, options?: { readonly namespace?: LookupArg }): Ref<T>;
}

/** What the proxies need from refs.ts (passed in: refs.ts imports this module). */
export interface LookupRefs {
  listRef(list: ListSource, item: Shape): unknown;
  objectRef(variable: string, item: Shape, source: SourceLocation): unknown;
  toValue(v: unknown, source: SourceLocation, what: string): Value;
}

type Lookup = Extract<ListSource, { kind: "lookup" }>;

/** The lifted objects of the rule function being built: element variable → its lookup. Building is synchronous. */
const scopes: Map<string, Lookup>[] = [];

/** Runs a rule function with a scope of its own for `get` objects. */
export function withLookupScope<T>(f: () => T): T {
  scopes.push(new Map());
  try {
    return f();
  } finally {
    scopes.pop();
  }
}

/** Element variable names `get` objects hold in the rule function being built (quantifiers must not take them). */
export function liftedNames(): ReadonlySet<string> {
  return new Set(scopes.at(-1)?.keys() ?? []);
}

/** The cluster references of a rule function. `taken` says which element names are in use. */
export function clusterRefs(refs: LookupRefs, taken: () => ReadonlySet<string>): ClusterRefs {
  const lookup = (kind: Kind<unknown>, options: LookupOptions & { name?: LookupArg }, source: SourceLocation, what: string): Lookup => {
    if (!kind || typeof kind !== "object" || typeof (kind as { kind?: unknown }).kind !== "string")
      throw new SdkError("invalid_policy", `${what} needs a kind (Pod, NetworkPolicy, a customKind(...))`, source);
    const { group, version, kind: k, resource, namespaced } = kind;
    if (options.namespace !== undefined && options.allNamespaces)
      throw new SdkError("invalid_lookup", `${what}: give namespace or allNamespaces, not both`, source);
    if (!namespaced && (options.namespace !== undefined || options.allNamespaces))
      throw new SdkError(
        "invalid_lookup",
        `${what}: ${k} is cluster-scoped; a lookup of it takes no namespace (it lists the whole cluster)`,
        source,
      );
    const request: Value = { kind: "field", scope: { kind: "request" }, path: ["namespace"], source };
    const namespace =
      !namespaced || options.allNamespaces
        ? undefined
        : options.namespace === undefined
          ? request
          : refs.toValue(options.namespace, source, `${what}'s namespace`);
    const labels = Object.entries(options.labels ?? {}).map(([key, value]) => ({
      key,
      value: refs.toValue(value, source, `${what}'s label ${key}`),
    }));
    return {
      kind: "lookup",
      target: { group, version, kind: k, resource, namespaced },
      ...(namespace ? { namespace } : {}),
      ...(options.name !== undefined ? { name: refs.toValue(options.name, source, `${what}'s name`) } : {}),
      ...(labels.length ? { labels } : {}),
      source,
    };
  };
  const shapeOf = (kind: Kind<unknown>, source: SourceLocation): Shape => {
    const shape = shapeOfKindRef(kind);
    if (!shape) throw new SdkError("unknown_kind", unknownKindMessage(kind), source);
    return shape;
  };
  return {
    list: <T>(kind: Kind<T>, options: LookupOptions = {}) => {
      const source = callerLocation();
      const l = lookup(kind as Kind<unknown>, options, source, "cluster.list()");
      return refs.listRef(l, shapeOf(kind as Kind<unknown>, source)) as ListRef<T>;
    },
    get: <T>(kind: Kind<T>, name: LookupArg, options: { readonly namespace?: LookupArg } = {}) => {
      const source = callerLocation();
      if (name === undefined) throw new SdkError("invalid_lookup", "cluster.get() needs the object's name", source);
      const l = lookup(kind as Kind<unknown>, { ...options, name }, source, "cluster.get()");
      const shape = shapeOf(kind as Kind<unknown>, source);
      const scope = scopes.at(-1);
      if (!scope) throw new SdkError("invalid_policy", "cluster.get() is read inside a rule function", source);
      const base =
        (kind as Kind<unknown>).kind.charAt(0).toLowerCase() + (kind as Kind<unknown>).kind.slice(1).replace(/[^A-Za-z0-9_]/g, "_");
      let variable = base;
      for (let i = 2; scope.has(variable) || taken().has(variable); i++) variable = `${base}${i}`;
      scope.set(variable, l);
      return refs.objectRef(variable, shape, source) as Ref<T>;
    },
  };
}

// ------------------------------------------------------------------ lifting

/** Element variables an expression reads without binding them. */
function freeElements(e: Expr, bound: ReadonlySet<string> = new Set(), out = new Set<string>()): Set<string> {
  const read = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(read);
    else if (x && typeof x === "object") {
      const o = x as { kind?: unknown; scope?: { kind?: unknown; variable?: unknown } };
      if (o.kind === "field" && o.scope?.kind === "element" && typeof o.scope.variable === "string" && !bound.has(o.scope.variable))
        out.add(o.scope.variable);
      Object.values(x).forEach(read);
    }
  };
  switch (e.kind) {
    case "and":
    case "or":
      e.items.forEach((i) => freeElements(i, bound, out));
      break;
    case "not":
      freeElements(e.item, bound, out);
      break;
    case "quantifier":
      read(e.lists);
      freeElements(e.body, new Set([...bound, e.variable]), out);
      break;
    default:
      read(e);
  }
  return out;
}

/** Element variables an expression binds anywhere. */
function boundElements(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === "and" || e.kind === "or") e.items.forEach((i) => boundElements(i, out));
  else if (e.kind === "not") boundElements(e.item, out);
  else if (e.kind === "quantifier") {
    out.add(e.variable);
    boundElements(e.body, out);
  }
  return out;
}

/** The expression with its free reads of element `from` renamed `to`. */
function renameFree(e: Expr, from: string, to: string): Expr {
  const rename = <X>(x: X): X => {
    if (Array.isArray(x)) return x.map(rename) as X;
    if (!x || typeof x !== "object") return x;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = rename(v);
    const o = x as { kind?: unknown; scope?: { kind?: unknown; variable?: unknown } };
    if (o.kind === "field" && o.scope?.kind === "element" && o.scope.variable === from) out.scope = { kind: "element", variable: to };
    return out as X;
  };
  switch (e.kind) {
    case "and":
    case "or":
      return { ...e, items: e.items.map((i) => renameFree(i, from, to)) };
    case "not":
      return { ...e, item: renameFree(e.item, from, to) };
    case "quantifier":
      return { ...e, lists: rename(e.lists), body: e.variable === from ? e.body : renameFree(e.body, from, to) };
    default:
      return rename(e);
  }
}

/**
 * A condition as built, with each `get` object it reads but does not bind wrapped around it:
 * `any(role in lookup: condition)`. When the condition already binds the name inside (a `get`
 * object read again in an inner condition), the outer one takes a fresh name.
 */
export function liftLookups(e: Expr): Expr {
  const scope = scopes.at(-1);
  if (!scope || scope.size === 0) return e;
  let out = e;
  const free = freeElements(e);
  for (const variable of free) {
    const list = scope.get(variable);
    if (!list) continue;
    const bound = boundElements(out);
    let name = variable;
    for (let i = 2; bound.has(name) || (name !== variable && (scope.has(name) || free.has(name))); i++) name = `${variable}${i}`;
    const body = name === variable ? out : renameFree(out, variable, name);
    out = { kind: "quantifier", quantifier: "any", lists: [list], variable: name, body, source: e.source };
  }
  return out;
}
