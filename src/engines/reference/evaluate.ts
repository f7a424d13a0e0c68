import {
  assertNever,
  compareQuantities,
  messageWitness,
  paramValue,
  parseQuantity,
  regexFind,
  type CompareOp,
  type Expr,
  type FieldRef,
  type Instance,
  type Literal,
  type Operand,
  type ParamRef,
  type Policy,
  type Rule,
  type Scalar,
} from "../../ir/index.js";
import { podTemplatePath } from "../../kube/index.js";

/**
 * The reference evaluator: what a lowered policy *means*, computed from the IR alone. The
 * cross-engine checks compare the CEL and Rego outputs against it. It evaluates conditions
 * only; matching (kinds, namespaces, selectors) belongs to the engines' own semantics.
 */

export type RuleVerdict =
  | { readonly status: "pass"; readonly rule: string }
  | { readonly status: "fail"; readonly rule: string; readonly messages: readonly string[] }
  | { readonly status: "skip"; readonly rule: string; readonly reason: string };

type Env = {
  readonly subject: unknown;
  readonly elements: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, unknown>>;
};

/** The subject a policy's rules read: the object, or for pod policies the pod or pod template. */
export function subjectOf(p: Policy, object: unknown): unknown {
  if (p.subject === "resource") return object;
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (kind === "Pod") return object;
  const template = podTemplatePath(typeof kind === "string" ? kind : undefined);
  if (!template) return {};
  let v: unknown = object;
  for (const seg of template) v = isObject(v) && seg in v ? v[seg] : {};
  return v;
}

/** Evaluates every rule of one policy instance on an object (already matched). */
export function evaluatePolicy(
  p: Policy,
  instance: Instance,
  object: unknown,
): { kind: "precondition_false" } | { kind: "evaluated"; rules: RuleVerdict[] } {
  const env: Env = { subject: subjectOf(p, object), elements: {}, params: instance.values };
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
    r.message.parts
      .map((p) => {
        if (p.kind === "text") return p.text;
        const v = p.value.kind === "param" ? paramAt(e.params, p.value) : read(p.value, e);
        return v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
      })
      .join(""),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The field's value, or undefined when any step of the path is missing. */
function read(f: FieldRef, env: Env): unknown {
  let v: unknown = f.scope.kind === "subject" ? env.subject : env.elements[f.scope.variable];
  for (const seg of f.path) {
    if (!isObject(v) || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = v[seg];
  }
  return v;
}

function paramAt(params: Readonly<Record<string, unknown>>, p: ParamRef): unknown {
  return paramValue(params, p.path);
}

function value(o: Operand, env: Env): unknown {
  switch (o.kind) {
    case "field":
      return read(o, env);
    case "literal":
      return o.value;
    case "param":
      return paramAt(env.params, o);
    default:
      return assertNever(o);
  }
}

/** A list argument's values; an unset parameter is an empty list. */
function listValues(a: Literal | ParamRef, env: Env): { list: boolean; values: unknown[] } {
  const v = value(a, env);
  if (Array.isArray(v)) return { list: true, values: v };
  if (v === undefined) return { list: true, values: [] };
  return { list: false, values: [v] };
}

function listsOf(lists: readonly FieldRef[], env: Env): unknown[] {
  return lists.flatMap((l) => {
    const v = read(l, env);
    return Array.isArray(v) ? v : [];
  });
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
      return e.field.path.length === 0 || read(e.field, env) !== undefined;
    case "compare": {
      const l = read(e.left, env);
      const r = value(e.right, env);
      if (l === undefined || r === undefined) return false;
      if (e.op === "eq") return equal(l, r);
      if (typeof l !== "number" || typeof r !== "number") return false;
      return order(e.op, l < r ? -1 : l > r ? 1 : 0);
    }
    case "in": {
      const v = read(e.value, env);
      return v !== undefined && listValues(e.list, env).values.some((x) => equal(v, x));
    }
    case "string": {
      const v = read(e.value, env);
      if (typeof v !== "string") return false;
      const op = e.op;
      return listValues(e.arg, env).values.some((a) => {
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
      const l = parseQuantity(read(e.left, env));
      const r = parseQuantity(value(e.right, env) as Scalar);
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
