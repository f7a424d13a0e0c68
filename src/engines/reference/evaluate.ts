import {
  assertNever,
  compareQuantities,
  messageWitness,
  MISSING_TEXT,
  readsControllerIdentity,
  trimMessage,
  paramValue,
  parseQuantity,
  regexFind,
  type CompareOp,
  type Expr,
  type FieldRef,
  type Instance,
  type ListSource,
  type Policy,
  type Rule,
  type Value,
} from "../../ir/index.js";
import {
  sentUserInfo,
  storedNamespace,
  lowerAscii,
  parseImage,
  podTemplatePath,
  subjectObject,
  upperAscii,
  type AdmissionRequest,
} from "../../kube/index.js";

/**
 * The reference evaluator: what a lowered policy *means*, computed from the IR alone. The
 * cross-engine checks compare the CEL and Rego outputs against it. It evaluates conditions
 * only; matching (kinds, namespaces, selectors) belongs to the engines' own semantics.
 */

export type RuleVerdict =
  | { readonly status: "pass"; readonly rule: string }
  | { readonly status: "fail"; readonly rule: string; readonly messages: readonly string[] }
  | { readonly status: "skip"; readonly rule: string; readonly reason: string };

/** What a policy's conditions can read. */
export interface Env {
  readonly subject: unknown;
  readonly oldSubject: unknown;
  /** The admitted objects themselves, whose name and namespace a pod policy's subject reads. */
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly podSubject?: boolean;
  readonly request: Readonly<Record<string, unknown>>;
  readonly namespace: unknown;
  readonly elements: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, unknown>>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The subject a policy's rules read: the object, or for pod policies the pod or pod template. */
export function subjectOf(p: Policy, object: unknown): unknown {
  if (object === undefined || object === null) return undefined;
  if (p.subject === "resource") return object;
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (kind === "Pod") return object;
  const template = podTemplatePath(typeof kind === "string" ? kind : undefined);
  if (!template) return {};
  let v: unknown = object;
  for (const seg of template) v = isObject(v) && seg in v ? v[seg] : {};
  return v;
}

/** The environment of a request: subject, old subject, request fields, namespace object. */
export function envOf(p: Policy, instance: Instance, req: AdmissionRequest): Env {
  const object = subjectObject(req);
  const ns = object?.metadata?.namespace ?? "";
  return {
    subject: subjectOf(p, object),
    oldSubject: subjectOf(p, req.oldObject),
    object,
    oldObject: req.oldObject,
    podSubject: p.subject === "pod",
    request: {
      operation: req.operation,
      namespace: ns,
      name: object?.metadata?.name ?? "",
      // What a rule reads: the user as sent, each field left out read as its zero value (REQUEST_FIELDS).
      userInfo: { username: "", uid: "", groups: [], ...sentUserInfo(req.userInfo) },
    },
    namespace: ns ? storedNamespace(ns, req.cluster?.namespaces?.[ns]) : undefined,
    elements: {},
    params: instance.values,
  };
}

/** Evaluates every rule of one policy instance on a request (already matched). */
export function evaluatePolicy(p: Policy, env: Env): { kind: "precondition_false" } | { kind: "evaluated"; rules: RuleVerdict[] } {
  if (p.when && !holds(p.when, env)) return { kind: "precondition_false" };
  return { kind: "evaluated", rules: p.rules.map((r) => evaluateRule(r, env)) };
}

function evaluateRule(r: Rule, env: Env): RuleVerdict {
  if (r.when && !holds(r.when, env)) return { status: "skip", rule: r.name, reason: "rule precondition is false" };
  if (holds(r.assert, env)) return { status: "pass", rule: r.name };
  return { status: "fail", rule: r.name, messages: messages(r, env) };
}

/** One message per violating element along the witness chain (one message when there is none). */
function messages(r: Rule, env: Env): string[] {
  const { steps } = messageWitness(r.assert, r.message);
  let envs: Env[] = [env];
  for (const s of steps) {
    envs = envs.flatMap((e) =>
      listsOf(s.lists, e)
        .map((el) => ({ ...e, elements: { ...e.elements, [s.variable]: el } }))
        .filter((e2) => holds(s.body, e2) === s.bodyHolds),
    );
  }
  return envs.map((e) =>
    trimMessage(
      r.message.parts
        .map((p) => {
          if (p.kind === "text") return p.text;
          const v = value(p.value, e);
          return v === undefined ? MISSING_TEXT : typeof v === "string" ? v : JSON.stringify(v);
        })
        .join(""),
    ),
  );
}

function scopeValue(f: FieldRef, env: Env): unknown {
  switch (f.scope.kind) {
    case "subject":
      return env.subject;
    case "oldSubject":
      return env.oldSubject;
    case "element":
      return env.elements[f.scope.variable];
    case "request":
      return env.request;
    case "namespace":
      return env.namespace;
    default:
      return assertNever(f.scope);
  }
}

/** The field's value, or undefined when any step of the path is missing (or a key is not a string). */
function read(f: FieldRef, env: Env): unknown {
  // A pod policy reads a controller's own name and namespace, not its pod template's (which has none).
  let v: unknown =
    env.podSubject && readsControllerIdentity(f) ? (f.scope.kind === "subject" ? env.object : env.oldObject) : scopeValue(f, env);
  for (const seg of f.path) {
    const key = typeof seg === "string" ? seg : value(seg.key, env);
    if (typeof key !== "string" || !isObject(v) || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = v[key];
  }
  return v === null ? null : v;
}

/** A value, or undefined when it is missing. */
export function value(v: Value, env: Env): unknown {
  switch (v.kind) {
    case "field":
      return read(v, env);
    case "literal":
      return v.value;
    case "param":
      return paramValue(env.params, v.path);
    case "image": {
      const s = value(v.of, env);
      return typeof s === "string" ? parseImage(s)[v.part] : undefined;
    }
    case "concat": {
      const items = v.items.map((i) => value(i, env));
      return items.every((i) => typeof i === "string") ? items.join("") : undefined;
    }
    case "case": {
      const s = value(v.of, env);
      return typeof s === "string" ? (v.to === "lower" ? lowerAscii(s) : upperAscii(s)) : undefined;
    }
    case "join": {
      const items = listOf(v.list, env);
      return items.every((i) => typeof i === "string") ? items.join(v.separator) : undefined;
    }
    default:
      return assertNever(v);
  }
}

/** A list source's items; a missing value or one that is not a list is empty. */
function listOf(l: ListSource, env: Env): unknown[] {
  if (l.kind === "split") {
    const s = value(l.of, env);
    return typeof s === "string" ? s.split(l.separator) : [];
  }
  if (l.kind === "keys") {
    const m = value(l.of, env);
    return typeof m === "object" && m !== null && !Array.isArray(m) ? Object.keys(m).sort() : [];
  }
  const v = l.kind === "field" ? read(l, env) : paramValue(env.params, l.path);
  return Array.isArray(v) ? v : [];
}

function listsOf(lists: readonly ListSource[], env: Env): unknown[] {
  return lists.flatMap((l) => listOf(l, env));
}

/** A string-predicate argument's items: a list's items, or the one value. */
function argItems(v: Value, env: Env): unknown[] {
  const x = value(v, env);
  if (Array.isArray(x)) return x;
  return x === undefined ? [] : [x];
}

/** JSON equality: numbers by value (1 == 1.0), no cross-type equality. */
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return a === b;
}

function order(op: CompareOp, c: number): boolean {
  switch (op) {
    case "eq":
      return c === 0;
    case "lt":
      return c < 0;
    case "le":
      return c <= 0;
    case "gt":
      return c > 0;
    case "ge":
      return c >= 0;
    default:
      return assertNever(op);
  }
}

export function holds(e: Expr, env: Env): boolean {
  switch (e.kind) {
    case "const":
      return e.value;
    case "exists":
      return e.field.path.length === 0 ? scopeValue(e.field, env) !== undefined : read(e.field, env) !== undefined;
    case "compare": {
      const l = value(e.left, env);
      const r = value(e.right, env);
      if (l === undefined || r === undefined) return false;
      if (e.op === "eq") return equal(l, r);
      if (typeof l !== "number" || typeof r !== "number") return false;
      return order(e.op, l < r ? -1 : l > r ? 1 : 0);
    }
    case "in": {
      const v = value(e.value, env);
      if (v === undefined) return false;
      const items = e.list.kind === "literal" ? (Array.isArray(e.list.value) ? e.list.value : [e.list.value]) : listOf(e.list, env);
      return items.some((x) => equal(v, x));
    }
    case "string": {
      const v = value(e.value, env);
      if (typeof v !== "string") return false;
      const op = e.op;
      return argItems(e.arg, env).some((a) => {
        if (typeof a !== "string") return false;
        switch (op) {
          case "startsWith":
            return v.startsWith(a);
          case "endsWith":
            return v.endsWith(a);
          case "contains":
            return v.includes(a);
          case "matches":
          case "glob":
            return regexFind(a, v);
          default:
            return assertNever(op);
        }
      });
    }
    case "quantity": {
      const l = parseQuantity(value(e.left, env));
      const r = parseQuantity(value(e.right, env));
      return l !== undefined && r !== undefined && order(e.op, compareQuantities(l, r));
    }
    case "count":
      return order(e.op, Math.sign(listsOf(e.lists, env).length - e.value));
    case "quantifier": {
      const els = listsOf(e.lists, env);
      const test = (el: unknown) => holds(e.body, { ...env, elements: { ...env.elements, [e.variable]: el } });
      return e.quantifier === "all" ? els.every(test) : els.some(test);
    }
    case "and":
      return e.items.every((i) => holds(i, env));
    case "or":
      return e.items.some((i) => holds(i, env));
    case "not":
      return !holds(e.item, env);
    default:
      return assertNever(e);
  }
}
