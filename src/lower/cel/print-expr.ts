import {
  assertNever,
  fieldsIn,
  lookupMeetsSubject,
  paramValue,
  readsControllerIdentity,
  requestField,
  type CompareOp,
  type Expr,
  type FieldRef,
  type ImagePart,
  type ListSource,
  type LookupList,
  type Scalar,
  type Value,
} from "../../ir/index.js";
import { apiVersionOf, type KindRef } from "../../kube/index.js";
import { celOptionalSelect, celString, celValue } from "./escape.js";

/** What a CEL expression is printed against. */
export interface CelContext {
  /** CEL expression for the policy's subject (e.g. `object` or `variables.pod`). */
  readonly subject: string;
  /** The same for the old object (`oldObject`, `variables.oldPod`); null on CREATE. */
  readonly oldSubject: string;
  /** The instance's parameter values, inlined as literals. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Lists of the subject bound as variables (`listKey` → `variables.containers`); absent in matchConditions. */
  readonly lists?: ReadonlyMap<string, string>;
  /** Names of comprehension variables in use (for fresh ones); shared by one printing. */
  readonly names?: { count: number };
  /**
   * A pod policy's admitted objects (`object`, `oldObject`): its subject's metadata.name and
   * metadata.namespace are read there, a controller's own (see ir/message-text.ts).
   */
  readonly admitted?: { readonly object: string; readonly oldObject: string };
  /** The kinds the policy admits: a lookup of one of them leaves the object under review out (ir/lookups.ts). */
  readonly admittedKinds?: readonly KindRef[];
}

const OPS: Record<CompareOp, string> = { eq: "==", lt: "<", le: "<=", gt: ">", ge: ">=" };

/**
 * The key of a list a variable can hold, for `CelContext.lists`: a list read from the subject (a
 * static path), or one lookup that reads no element (a variable cannot see a loop's element).
 */
export function listKey(lists: readonly ListSource[]): string | undefined {
  if (lists.length === 1 && lists[0]!.kind === "lookup") {
    const l = lists[0]!;
    if (fieldsIn(l).some((f) => f.scope.kind === "element")) return undefined;
    return `lookup:${JSON.stringify(l, (k, v: unknown) => (k === "source" ? undefined : v))}`;
  }
  if (lists.some((l) => l.kind !== "field" || l.scope.kind !== "subject" || l.path.some((s) => typeof s !== "string"))) return undefined;
  return JSON.stringify(lists.map((l) => (l as FieldRef).path));
}

/** A comprehension variable no enclosing expression uses. */
export function fresh(ctx: CelContext, prefix: string): string {
  const names = ctx.names ?? { count: 0 };
  (ctx as { names?: { count: number } }).names = names;
  return `${prefix}${++names.count}`;
}

function base(ref: FieldRef, ctx: CelContext): string {
  switch (ref.scope.kind) {
    case "subject":
      return ctx.subject;
    case "oldSubject":
      return ctx.oldSubject;
    case "element":
      return ref.scope.variable;
    case "request":
      return "request";
    case "namespace":
      // Typed (a Namespace) in Kubernetes' CEL environment: read it dynamically, like the object.
      return "dyn(namespaceObject)";
    default:
      return assertNever(ref.scope);
  }
}

/** The field as an optional value (`object.?spec.?replicas`), or the plain base when the path is empty. */
export function celOptional(ref: FieldRef, ctx: CelContext): { text: string; optional: boolean } {
  if (ref.path.length === 0) return { text: base(ref, ctx), optional: false };
  // The admission request is typed, and the API server leaves its empty fields out: a field it
  // left out reads as its zero value (see REQUEST_FIELDS), as Kubernetes' Go types have it.
  if (ref.scope.kind === "request") {
    const text = `request.${ref.path.join(".")}`;
    const field = requestField(ref.path);
    if (!field || field.path[0] === "operation") return { text, optional: false };
    return { text: `(has(${text}) ? ${text} : ${celValue(field.zero as Scalar | Scalar[])})`, optional: false };
  }
  let text =
    ctx.admitted && readsControllerIdentity(ref) ? ctx.admitted[ref.scope.kind === "subject" ? "object" : "oldObject"] : base(ref, ctx);
  for (const seg of ref.path) {
    if (typeof seg === "string") text += celOptionalSelect(seg);
    else if (seg.key.kind === "literal" && typeof seg.key.value === "string") text += `[?${celString(seg.key.value)}]`;
    else if (seg.key.kind === "param") {
      const k = paramValue(ctx.params, seg.key.path);
      text = typeof k === "string" ? `${text}[?${celString(k)}]` : "optional.none()";
    } else {
      // A key read at run time must be a string, or the lookup fails instead of being missing.
      const k = celValueOf(seg.key, ctx);
      text = `(type(${k}) == string ? ${text}[?${k}] : optional.none())`;
    }
  }
  return { text, optional: true };
}

/** Whether the scope itself can be missing (no old object on CREATE, no namespace for cluster-scoped objects). */
function scopePresence(ref: FieldRef, ctx: CelContext): string | undefined {
  if (ref.scope.kind === "oldSubject") return `${ctx.oldSubject} != null`;
  if (ref.scope.kind === "namespace") return "namespaceObject != null";
  return undefined;
}

/** A field's value, `null` when it is missing, typed dyn. */
function celFieldValue(ref: FieldRef, ctx: CelContext): string {
  const o = celOptional(ref, ctx);
  // dyn(): `orValue(null)` has type null to the checker, so string and number functions would not
  // type-check on it; the callers guard every use with a type() test.
  if (o.optional) return `dyn(${o.text}.orValue(null))`;
  return ref.scope.kind === "request" ? `dyn(${o.text})` : o.text;
}

/** A value as a CEL expression: the value, or null when it is missing, typed dyn. */
export function celValueOf(v: Value, ctx: CelContext): string {
  switch (v.kind) {
    case "field":
      return celFieldValue(v, ctx);
    case "literal":
      return celValue(v.value);
    case "param":
      return celValue(paramValue(ctx.params, v.path) ?? null);
    case "image": {
      const s = fresh(ctx, "image");
      return `[${celValueOf(v.of, ctx)}].map(${s}, type(${s}) == string ? ${imagePart(s, v.part)} : dyn(null))[0]`;
    }
    case "case": {
      const s = fresh(ctx, "s");
      return `[${celValueOf(v.of, ctx)}].map(${s}, type(${s}) == string ? dyn(${s}.${v.to === "lower" ? "lowerAscii" : "upperAscii"}()) : dyn(null))[0]`;
    }
    case "concat": {
      const l = fresh(ctx, "parts");
      const x = fresh(ctx, "part");
      return `[[${v.items.map((i) => `dyn(${celValueOf(i, ctx)})`).join(", ")}]].map(${l}, ${l}.all(${x}, type(${x}) == string) ? dyn(${l}.join("")) : dyn(null))[0]`;
    }
    case "join": {
      const l = fresh(ctx, "items");
      const x = fresh(ctx, "item");
      return `[${celLists([v.list], ctx)}].map(${l}, ${l}.all(${x}, type(${x}) == string) ? dyn(${l}.join(${celString(v.separator)})) : dyn(null))[0]`;
    }
    default:
      return assertNever(v);
  }
}

/** Whether a value is present (a present null counts), as a CEL condition; undefined when it always is. */
function presence(v: Value, ctx: CelContext): string | undefined {
  if (v.kind === "field") {
    const o = celOptional(v, ctx);
    return o.optional ? `${o.text}.hasValue()` : scopePresence(v, ctx);
  }
  if (v.kind === "literal" || v.kind === "param") return undefined;
  return `${celValueOf(v, ctx)} != null`;
}

/**
 * The parts of an image reference held in `s` (a string), normalised as the container runtime
 * normalises them: the same steps as `kube/image.ts` and the Rego prelude, written with CEL's
 * string functions, each intermediate bound once (`[x].map(v, …)[0]`, CEL's let).
 */
function imagePart(s: string, part: ImagePart): string {
  return imageParts(s, (p) =>
    part === "registry"
      ? p.registry
      : part === "repository"
        ? p.repository
        : part === "tag"
          ? p.tag
          : part === "digest"
            ? p.digest
            : `${p.registry} + "/" + ${p.repository}`,
  );
}

/**
 * The image in `s` moved from registry `from` to `to` (kube/image.ts `rewriteImageRegistry`):
 * `to/<repository>` with the tag and digest as written; `s` itself when its registry is not `from`.
 */
export function celImageRewrite(s: string, from: string, to: string): string {
  return imageParts(
    s,
    (p) => `(${p.registry} == ${celString(from)} ? ${celString(to + "/")} + ${p.repository} + ${p.writtenTag} + ${p.writtenDigest} : ${s})`,
  );
}

interface ImageParts {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  /** `:tag` as written, or "". */
  readonly writtenTag: string;
  /** `@digest` as written, or "". */
  readonly writtenDigest: string;
}

/** An expression of the parts of the image in `s`, its intermediates bound once. */
function imageParts(s: string, body: (p: ImageParts) => string): string {
  const at = `${s}.indexOf("@")`;
  const named = `(${at} >= 0 ? ${s}.substring(0, ${at}) : ${s})`;
  const digest = `(${at} >= 0 ? ${s}.substring(${at} + 1) : "")`;
  const n = `${s}_n`;
  const first = `${n}.substring(0, ${n}.indexOf("/"))`;
  const hasRegistry = `(${n}.indexOf("/") >= 0 && [${first}].all(${s}_f, ${s}_f.contains(".") || ${s}_f.contains(":") || ${s}_f == "localhost" || ${s}_f.lowerAscii() != ${s}_f))`;
  const rest = `(${s}_r ? ${n}.substring(${n}.indexOf("/") + 1) : ${n})`;
  const registry = `(${s}_r && ${first} != "index.docker.io" ? ${first} : "docker.io")`;
  const colon = `${s}_t.lastIndexOf(":")`;
  const path = `(${colon} >= 0 ? ${s}_t.substring(0, ${colon}) : ${s}_t)`;
  const repository = `(${registry} == "docker.io" && !${path}.contains("/") ? "library/" + ${path} : ${path})`;
  const tag = `(${colon} >= 0 ? ${s}_t.substring(${colon} + 1) : (${at} >= 0 ? "" : "latest"))`;
  const writtenTag = `(${colon} >= 0 ? ${s}_t.substring(${colon}) : "")`;
  const writtenDigest = `(${at} >= 0 ? ${s}.substring(${at}) : "")`;
  const text = body({ registry, repository, tag, digest, writtenTag, writtenDigest });
  if (!text.includes(`${s}_`)) return text;
  return `[${named}].map(${n}, [${hasRegistry}].map(${s}_r, [${rest}].map(${s}_t, ${text})[0])[0])[0]`;
}

/**
 * Concatenated lists; a missing list, a null and anything that is not a list are empty (as in the
 * reference evaluator and the Rego): `containers: null` must not make the expression an error.
 */
export function celLists(lists: readonly ListSource[], ctx: CelContext): string {
  const bound = ctx.lists?.get(listKey(lists) ?? "");
  if (bound) return bound;
  const parts = lists.map((l) => ctx.lists?.get(listKey([l]) ?? "") ?? celList(l, ctx));
  return parts.length === 1 ? parts[0]! : `(${parts.join(" + ")})`;
}

/** One list: its value when it is a list, else empty. */
export function celList(l: ListSource, ctx: CelContext): string {
  if (l.kind === "param") {
    // dyn: an inlined literal is typed (a list of maps of strings), but rules read its items like object fields.
    const v = paramValue(ctx.params, l.path);
    return Array.isArray(v) ? `dyn(${celValue(v)})` : "[]";
  }
  if (l.kind === "keys") {
    // Iterating a map iterates its keys.
    const m = fresh(ctx, "m");
    const k = fresh(ctx, "k");
    return `[${celValueOf(l.of, ctx)}].map(${m}, type(${m}) == map ? ${m}.map(${k}, ${k}) : [])[0]`;
  }
  if (l.kind === "split") {
    const s = fresh(ctx, "s");
    return `[${celValueOf(l.of, ctx)}].map(${s}, type(${s}) == string ? ${s}.split(${celString(l.separator)}) : [])[0]`;
  }
  if (l.kind === "lookup") return celLookup(l, ctx);
  const o = celOptional(l, ctx);
  if (l.scope.kind === "request") return o.text; // typed: a list (or its zero value, [])
  const value = o.optional ? `${o.text}.orValue([])` : o.text;
  return `(type(${value}) == list ? ${value} : [])`;
}

/**
 * The objects a lookup finds, with Kyverno's resource library (`resource.List(apiVersion,
 * resource, namespace)`, "" for every namespace): narrowed by name and labels, leaving out the
 * object under review (ir/lookups.ts). A namespace that is missing, empty or not a string finds
 * none (Kyverno would read "" as every namespace).
 */
function celLookup(l: LookupList, ctx: CelContext): string {
  const o = fresh(ctx, "o");
  const list = (ns: string) =>
    `resource.List(${celString(apiVersionOf(l.target))}, ${celString(l.target.resource)}, ${ns}).?items.orValue([])`;
  const field = (...path: string[]) => `${o}${path.map(celOptionalSelect).join("")}`;
  const conditions: string[] = [];
  if (l.name) conditions.push(`dyn(${field("metadata", "name")}.orValue(null)) == ${celValueOf(l.name, ctx)}`);
  for (const label of l.labels ?? []) {
    const have = `dyn(${field("metadata", "labels")}[?${celString(label.key)}].orValue(null))`;
    if (label.value.kind === "literal") conditions.push(`${have} == ${celValueOf(label.value, ctx)}`);
    else {
      const v = fresh(ctx, "label");
      conditions.push(`[${celValueOf(label.value, ctx)}].all(${v}, type(${v}) == string && ${have} == ${v})`);
    }
  }
  if (ctx.admittedKinds && lookupMeetsSubject(ctx.admittedKinds, l)) {
    const request = (name: string) => celValueOf({ kind: "field", scope: { kind: "request" }, path: [name], source: l.source }, ctx);
    conditions.push(
      `!(dyn(${field("metadata", "name")}.orValue(null)) == ${request("name")} && ${field("metadata", "namespace")}.orValue("") == ${request("namespace")})`,
    );
  }
  const filtered = (items: string) => (conditions.length ? `${items}.filter(${o}, ${conditions.join(" && ")})` : items);
  if (!l.namespace) return filtered(list('""'));
  if (l.namespace.kind === "literal" && typeof l.namespace.value === "string") return filtered(list(celString(l.namespace.value)));
  const n = fresh(ctx, "ns");
  return `[${celValueOf(l.namespace, ctx)}].map(${n}, type(${n}) == string && ${n} != "" ? ${filtered(list(n))} : [])[0]`;
}

/**
 * Whether a selector selects a set of labels, as `kube/labels.ts` (selectsLabels) reads it on
 * values that may be malformed: every test guarded by a type test, so nothing is an error.
 */
function celSelects(e: Extract<Expr, { kind: "selects" }>, ctx: CelContext): string {
  const s = fresh(ctx, "selector");
  const l = fresh(ctx, "labels");
  const k = fresh(ctx, "k");
  const pairsIn = (m: string) => `${m}.all(${k}, ${k} in ${l} && ${l}[${k}] == ${m}[${k}])`;
  const labels = `[${celValueOf(e.labels, ctx)}].map(${l}, ${l} == null ? dyn({}) : ${l})[0]`;
  let test: string;
  if (e.style === "map") test = `type(${s}) == map && size(${s}) > 0 && ${pairsIn(s)}`;
  else {
    const x = fresh(ctx, "requirement");
    const values = `(has(${x}.values) && type(${x}.values) == list ? ${x}.values : [])`;
    const within = `(${x}.key in ${l} && ${values}.exists(${k}, ${k} == ${l}[${x}.key]))`;
    const requirement =
      `type(${x}) == map && has(${x}.key) && type(${x}.key) == string && has(${x}.operator) && ` +
      `(${x}.operator == "In" ? ${within} : ${x}.operator == "NotIn" ? !${within} : ${x}.operator == "Exists" ? ${x}.key in ${l} : ${x}.operator == "DoesNotExist" ? !(${x}.key in ${l}) : false)`;
    const ml = `${s}.matchLabels`;
    const me = `${s}.matchExpressions`;
    test =
      `type(${s}) == map && ` +
      `(!has(${ml}) || ${ml} == null || (type(${ml}) == map && ${pairsIn(ml)})) && ` +
      `(!has(${me}) || ${me} == null || (type(${me}) == list && ${me}.all(${x}, ${requirement})))`;
  }
  return `[${celValueOf(e.selector, ctx)}].all(${s}, [${labels}].all(${l}, type(${l}) == map && ${test}))`;
}

/**
 * `x` is a number. Not `type(x) in [int, uint, double]`: Kubernetes' CEL environment uses
 * HomogeneousAggregateLiterals, which rejects a list of three different type values.
 */
const isNumber = (x: string) => `(type(${x}) == int || type(${x}) == uint || type(${x}) == double)`;

/** Whether a value's text is simple enough to repeat (a field read, a literal); computed values are bound once. */
const simple = (v: Value) => v.kind === "field" || v.kind === "literal" || v.kind === "param";

/** `pred(x)` over a value: directly when it is simple, else bound once (`[v].all(x, pred(x))`). */
function withValue(v: Value, ctx: CelContext, pred: (x: string) => string): string {
  const text = celValueOf(v, ctx);
  if (simple(v)) return pred(text);
  const x = fresh(ctx, "v");
  return `[${text}].all(${x}, ${pred(x)})`;
}

/** A string predicate's argument: a static string or list, or a value read at run time (a list means any of it). */
function stringTest(v: string, arg: Value, ctx: CelContext, call: (v: string, a: string) => string): string {
  const staticArg = arg.kind === "literal" ? arg.value : arg.kind === "param" ? (paramValue(ctx.params, arg.path) ?? []) : undefined;
  if (staticArg !== undefined) {
    if (!Array.isArray(staticArg)) return call(v, celValue(staticArg));
    // The body holds no comprehension of its own, so one name serves every such test.
    return `${celValue(staticArg)}.exists(arg_, ${call(v, "arg_")})`;
  }
  const a = fresh(ctx, "arg");
  const x = fresh(ctx, "arg");
  return `[${celValueOf(arg, ctx)}].all(${a}, type(${a}) == list ? ${a}.exists(${x}, type(${x}) == string && ${call(v, x)}) : type(${a}) == string && ${call(v, a)})`;
}

/** A quantity (a string or a number) as a CEL condition on `x`. */
const isQuantityValue = (x: string) => `((type(${x}) == string || ${isNumber(x)}) && isQuantity(string(${x})))`;

/**
 * Prints a condition. Leaf predicates read fields through optional selection and check the
 * value's type first, so a missing or mistyped field makes them false instead of an error,
 * which is what the reference evaluator and the Rego lowering do.
 */
export function printCel(e: Expr, ctx: CelContext): string {
  switch (e.kind) {
    case "const":
      return String(e.value);
    case "exists": {
      const o = celOptional(e.field, ctx);
      return o.optional ? `${o.text}.hasValue()` : (scopePresence(e.field, ctx) ?? "true");
    }
    case "compare": {
      if (e.right.kind === "param" && paramValue(ctx.params, e.right.path) === undefined) return "false";
      if (e.op === "eq") {
        if (e.right.kind === "literal" || e.right.kind === "param") return `${celValueOf(e.left, ctx)} == ${celValueOf(e.right, ctx)}`;
        const guards = [presence(e.left, ctx), presence(e.right, ctx)].filter((x): x is string => x !== undefined);
        return `(${[...guards, `${celValueOf(e.left, ctx)} == ${celValueOf(e.right, ctx)}`].join(" && ")})`;
      }
      const left = celValueOf(e.left, ctx);
      const right = celValueOf(e.right, ctx);
      const rightGuard = e.right.kind === "literal" ? "" : ` && ${isNumber(right)}`;
      return `(${isNumber(left)}${rightGuard} && ${left} ${OPS[e.op]} ${right})`;
    }
    case "in": {
      if (e.list.kind === "literal") {
        return Array.isArray(e.list.value)
          ? `${celValueOf(e.value, ctx)} in ${celValue(e.list.value)}`
          : `${celValueOf(e.value, ctx)} == ${celValue(e.list.value)}`;
      }
      const list = celLists([e.list], ctx);
      return withValue(e.value, ctx, (x) => `(dyn(${x}) != null && ${x} in ${list})`);
    }
    case "string": {
      const call = (v: string, a: string) => (e.op === "glob" ? `${v}.matches(${a})` : `${v}.${e.op}(${a})`);
      return withValue(e.value, ctx, (v) => `(type(${v}) == string && ${stringTest(v, e.arg, ctx, call)})`);
    }
    case "quantity": {
      const right = celValueOf(e.right, ctx);
      const rightStatic = e.right.kind === "literal" || e.right.kind === "param";
      return withValue(e.left, ctx, (v) => {
        const q = `string(${v})`;
        const rq = rightStatic ? right : `string(${right})`;
        const cmp = `quantity(${q}).compareTo(quantity(${rq})) ${OPS[e.op]} 0`;
        return `(${isQuantityValue(v)}${rightStatic ? "" : ` && ${isQuantityValue(right)}`} && ${cmp})`;
      });
    }
    case "count":
      return `size(${celLists(e.lists, ctx)}) ${OPS[e.op]} ${e.value}`;
    case "selects":
      return celSelects(e, ctx);
    case "quantifier":
      return `${celLists(e.lists, ctx)}.${e.quantifier === "all" ? "all" : "exists"}(${e.variable}, ${printCel(e.body, ctx)})`;
    case "and":
      return `(${e.items.map((i) => printCel(i, ctx)).join(" && ")})`;
    case "or":
      return `(${e.items.map((i) => printCel(i, ctx)).join(" || ")})`;
    case "not":
      return printNegated(e.item, ctx);
    default:
      return assertNever(e);
  }
}

/**
 * Prints the negation of a condition without double negations: `not not x` is `x`, a negated
 * equality with a constant is `!=` (the same for every value, missing ones included), anything
 * else `!(…)`.
 */
export function printNegated(e: Expr, ctx: CelContext): string {
  if (e.kind === "not") return printCel(e.item, ctx);
  if (e.kind === "compare" && e.op === "eq" && e.right.kind === "literal")
    return `${celValueOf(e.left, ctx)} != ${celValueOf(e.right, ctx)}`;
  return `!(${printCel(e, ctx)})`;
}

export { celString };
