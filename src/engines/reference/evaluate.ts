import {
  assertNever,
  compareQuantities,
  messageWitness,
  MISSING_TEXT,
  readsControllerIdentity,
  trimMessage,
  paramValue,
  fieldsIn,
  witnessChain,
  type WitnessStep,
  type ValueNode,
  type LookupList,
  admittedKinds,
  lookupMeetsSubject,
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
  apiVersionOf,
  clusterIndex,
  objectsOf,
  selectsLabels,
  type AdmissionRequest,
  type ClusterIndex,
  type KindRef,
} from "../../kube/index.js";

/**
 * The reference evaluator: what a lowered policy *means*, computed from the IR alone. The
 * cross-engine checks compare the CEL and Rego outputs against it. It evaluates conditions
 * only; matching (kinds, namespaces, selectors) belongs to the engines' own semantics.
 */

/** Where a violation is in the admitted object: `["spec", "containers", 1, "securityContext"]`. */
export type ObjectPath = readonly (string | number)[];

/** One violation of a rule: its message, and the field of the admitted object it is about (when the object has it). */
export interface RuleViolation {
  readonly message: string;
  readonly field?: ObjectPath;
}

export type RuleVerdict =
  | { readonly status: "pass"; readonly rule: string }
  | { readonly status: "fail"; readonly rule: string; readonly violations: readonly RuleViolation[] }
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
  /** Where each bound element is in the admitted object (undefined: not in it, a parameter's item). */
  readonly elementPaths?: Readonly<Record<string, ObjectPath | undefined>>;
  /** Where the subject is in the admitted object: the pod template of a controller, else the object. */
  readonly subjectPath?: ObjectPath;
  readonly params: Readonly<Record<string, unknown>>;
  /** The cluster's objects, for lookups; none when absent. */
  readonly cluster?: ClusterIndex;
  /** The kinds the policy admits: a lookup of one of them leaves the object under review out. */
  readonly admitted?: readonly KindRef[];
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

/** Where subjectOf's subject is in the object (undefined: not in it). */
function subjectPathOf(p: Policy, object: unknown): ObjectPath | undefined {
  if (p.subject === "resource") return [];
  const kind = (object as { kind?: unknown } | null)?.kind;
  return kind === "Pod" ? [] : podTemplatePath(typeof kind === "string" ? kind : undefined);
}

/** The environment of a request: subject, old subject, request fields, namespace object. */
export function envOf(p: Policy, instance: Instance, req: AdmissionRequest): Env {
  const object = subjectObject(req);
  const ns = object?.metadata?.namespace ?? "";
  const subjectPath = subjectPathOf(p, object);
  return {
    ...(subjectPath ? { subjectPath } : {}),
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
    cluster: clusterIndex(req.cluster),
    admitted: admittedKinds(p),
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
  return { status: "fail", rule: r.name, violations: violations(r, env) };
}

/**
 * One violation per violating element along the witness chain the message needs (one when there
 * is none), each with the field it is about: found further down the chain, then in the condition
 * that failed (blame).
 */
function violations(r: Rule, env: Env): RuleViolation[] {
  const chain = witnessChain(r.assert);
  const { steps } = messageWitness(r.assert, r.message);
  const witnesses = (e: Env, s: WitnessStep) => elementsOf(s.lists, e, s.variable).filter((e2) => holds(s.body, e2) === s.bodyHolds);
  let envs: Env[] = [env];
  for (const s of steps) envs = envs.flatMap((e) => witnesses(e, s));
  return envs.map((e) => {
    // Deeper in the chain than the message reads: the first witness at each step.
    let deepest = e;
    for (const s of chain.slice(steps.length)) {
      const next = witnesses(deepest, s)[0];
      if (!next) break;
      deepest = next;
    }
    const last = chain.findLast((s) => s.variable in deepest.elements);
    const field = last ? (blame(last.body, deepest, !last.bodyHolds) ?? deepest.elementPaths?.[last.variable]) : blame(r.assert, env, true);
    return { message: messageText(r, e), ...(field ? { field } : {}) };
  });
}

function messageText(r: Rule, e: Env): string {
  return trimMessage(
    r.message.parts
      .map((p) => {
        if (p.kind === "text") return p.text;
        const v = value(p.value, e);
        return v === undefined ? MISSING_TEXT : typeof v === "string" ? v : JSON.stringify(v);
      })
      .join(""),
  );
}

/** Each element of the lists, bound to `variable` in the environment, with where it is in the object. */
function elementsOf(lists: readonly ListSource[], env: Env, variable: string): Env[] {
  return lists.flatMap((l) => {
    const at = listPath(l, env);
    const keys = l.kind === "keys";
    return listOf(l, env).map((el, i) => ({
      ...env,
      elements: { ...env.elements, [variable]: el },
      elementPaths: { ...env.elementPaths, [variable]: at && (keys ? [...at, String(el)] : l.kind === "split" ? at : [...at, i]) },
    }));
  });
}

/** Where a field is in the admitted object; undefined when it is not in it (old object, request, namespace). */
function fieldPath(f: FieldRef, env: Env): ObjectPath | undefined {
  let base: ObjectPath | undefined;
  if (f.scope.kind === "subject") base = env.podSubject && readsControllerIdentity(f) ? [] : env.subjectPath;
  else if (f.scope.kind === "element") base = env.elementPaths?.[f.scope.variable];
  if (!base) return undefined;
  const out = [...base];
  for (const seg of f.path) {
    const key = typeof seg === "string" ? seg : value(seg.key, env);
    if (typeof key !== "string") break;
    out.push(key);
  }
  return out;
}

function listPath(l: ListSource, env: Env): ObjectPath | undefined {
  if (l.kind === "field") return fieldPath(l, env);
  if (l.kind === "split" || l.kind === "keys") return l.of.kind === "field" ? fieldPath(l.of, env) : undefined;
  return undefined;
}

/** The first field of the admitted object a condition reads. */
function firstField(e: Expr, env: Env): ObjectPath | undefined {
  const nodes: readonly ValueNode[] =
    e.kind === "compare" || e.kind === "quantity"
      ? [e.left, e.right]
      : e.kind === "in"
        ? [e.value, e.list]
        : e.kind === "string"
          ? [e.value, e.arg]
          : e.kind === "exists"
            ? [e.field]
            : e.kind === "count"
              ? e.lists
              : e.kind === "selects"
                ? [e.selector, e.labels]
                : [];
  for (const f of nodes.flatMap(fieldsIn)) {
    const at = fieldPath(f, env);
    if (at) return at;
  }
  return undefined;
}

/** The longest path every one of these starts with (undefined: none given). */
function commonPrefix(paths: readonly ObjectPath[]): ObjectPath | undefined {
  const [first, ...rest] = paths;
  if (!first) return undefined;
  let n = first.length;
  for (const p of rest) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

/**
 * The field of the admitted object that makes `e` not come out as `want`: the first condition
 * that does not, down through and/or/not and into the first element that decides a quantifier.
 */
function blame(e: Expr, env: Env, want: boolean): ObjectPath | undefined {
  switch (e.kind) {
    case "and":
    case "or": {
      // One item decides (a false item of a wanted and, a true one of an unwanted or) …
      if ((e.kind === "and") === want) {
        const decisive = e.items.find((i) => holds(i, env) !== want);
        return decisive && blame(decisive, env, want);
      }
      // … or every item does (no alternative of an or holds): the field they have in common.
      return commonPrefix(e.items.map((i) => blame(i, env, want)).filter((x): x is ObjectPath => x !== undefined));
    }
    case "not":
      return blame(e.item, env, !want);
    case "quantifier": {
      // all fails (any holds) because of one element; any fails (all holds) because of none: the list.
      if ((e.quantifier === "all") === want) {
        const el = elementsOf(e.lists, env, e.variable).find((x) => holds(e.body, x) !== want);
        if (el) return blame(e.body, el, want) ?? el.elementPaths?.[e.variable];
      }
      for (const l of e.lists) {
        const at = listPath(l, env);
        if (at) return at;
      }
      return undefined;
    }
    case "const":
      return undefined;
    default:
      return firstField(e, env);
  }
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
  if (l.kind === "lookup") return lookup(l, env);
  const v = l.kind === "field" ? read(l, env) : paramValue(env.params, l.path);
  return Array.isArray(v) ? v : [];
}

/**
 * The objects a lookup finds in the request's cluster (see ir/lookups.ts): of its kind, in its
 * namespace (a namespace that is missing, empty or not a string finds none), with its name and
 * labels, in list order, leaving out the object under review.
 */
function lookup(l: LookupList, env: Env): unknown[] {
  let namespace: string | undefined;
  if (l.namespace) {
    const ns = value(l.namespace, env);
    if (typeof ns !== "string" || ns === "") return [];
    namespace = ns;
  }
  let found = objectsOf(env.cluster ?? clusterIndex(undefined), apiVersionOf(l.target), l.target.kind, namespace);
  if (l.name) {
    const name = value(l.name, env);
    if (typeof name !== "string") return [];
    found = found.filter((o) => o.metadata?.name === name);
  }
  for (const label of l.labels ?? []) {
    const want = value(label.value, env);
    if (typeof want !== "string") return [];
    found = found.filter((o) => {
      const labels = o.metadata?.labels;
      return isObject(labels) && Object.prototype.hasOwnProperty.call(labels, label.key) && labels[label.key] === want;
    });
  }
  if (env.admitted && lookupMeetsSubject(env.admitted, l)) {
    const { name, namespace: ns } = env.request as { name?: unknown; namespace?: unknown };
    found = found.filter((o) => !(o.metadata?.name === name && (o.metadata?.namespace ?? "") === ns));
  }
  return [...found];
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
    case "selects":
      return selectsLabels(e.style, value(e.selector, env), value(e.labels, env));
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
