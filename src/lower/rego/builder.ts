import {
  fieldsIn,
  lookupMeetsSubject,
  MISSING_TEXT,
  operandsOf,
  readsControllerIdentity,
  requestField,
  walkExpr,
  type Expr,
  type FieldRef,
  type ListSource,
  type LookupList,
  type ParamRef,
  type Value,
  type ValueNode,
} from "../../ir/index.js";
import { apiVersionOf, type KindRef } from "../../kube/index.js";
import { call, index, ref, v, type Prelude, type PreludeName, type Rule, type Statement, type Term } from "./ast.js";

/** Argument name of the subject in every helper function. */
export const SUBJECT = "subject";

/** Rules the module defines only when something reads them. */
export type Needed = "old_subject" | "namespace";

/**
 * Collects the helper rules and preludes a module needs while its rules are lowered. Helpers
 * get fresh names (`_list0`, `_any3`…) in the order they are made, so output is deterministic.
 */
export class RegoBuilder {
  readonly helpers: (Rule | Prelude)[] = [];
  /** Rules of the module's subject section that something reads (the old object, the namespace). */
  readonly needed = new Set<Needed>();
  private readonly preludes = new Set<PreludeName>();
  /** The helper that recognises the object under review (made once, when a lookup first needs it). */
  private underReview: string | undefined;
  private count = 0;

  /**
   * `controller`: a pod policy's admitted objects, where its subject's metadata.name and
   * metadata.namespace are read (a controller's own; see ir/message-text.ts).
   */
  constructor(
    readonly controller?: { readonly object: Term; readonly oldObject: Term },
    /** The kinds the policy admits: a lookup of one of them leaves the object under review out. */
    readonly admitted?: readonly KindRef[],
  ) {}

  fresh(prefix: string): string {
    return `_${prefix}${this.count++}`;
  }

  /** Adds a prelude where it is first needed. */
  need(name: PreludeName): void {
    if (this.preludes.has(name)) return;
    this.preludes.add(name);
    this.helpers.push({ kind: "prelude", name });
  }

  /**
   * Defines the helper `name` (from `fresh`, taken before its body is built, so names number
   * in the order helpers are started) over `args`, one definition per body; returns the term
   * that reads it.
   */
  define(name: string, args: readonly string[], bodies: readonly (readonly Statement[])[]): Term {
    this.helpers.push({
      kind: "rule",
      name,
      head: "complete",
      ...(args.length ? { args } : {}),
      definitions: bodies.map((body) => ({ body })),
    });
    return helperCall(name, args);
  }

  /** A field of the subject, the old object, the request, the namespace or an element. */
  field(f: FieldRef): Term {
    let term: Term;
    if (this.controller && readsControllerIdentity(f))
      term = f.scope.kind === "subject" ? this.controller.object : this.controller.oldObject;
    else
      switch (f.scope.kind) {
        case "subject":
          term = v(SUBJECT);
          break;
        case "element":
          term = v(f.scope.variable);
          break;
        case "oldSubject":
          this.needed.add("old_subject");
          term = v("_old_subject");
          break;
        case "namespace":
          this.needed.add("namespace");
          term = v("_namespace");
          break;
        case "request": {
          // Gatekeeper's review carries the admission request's own fields: operation, namespace, name,
          // userInfo; a field the API server left out (omitempty) reads as its zero value.
          const field = requestField(f.path);
          if (field && field.path[0] !== "operation") {
            const key = field.path.length === 1 ? field.path[0] : field.path;
            return call("object.get", ref(v("input"), "review"), { kind: "value", value: key }, { kind: "value", value: field.zero });
          }
          term = ref(v("input"), "review");
          break;
        }
      }
    for (const seg of f.path) term = typeof seg === "string" ? ref(term, seg) : index(term, this.value(seg.key));
    return term;
  }

  param(p: ParamRef): Term {
    return ref(ref(v("input"), "parameters"), ...p.path);
  }

  /** A value as a term; undefined in Rego where the value is missing. */
  value(x: Value): Term {
    switch (x.kind) {
      case "field":
        return this.field(x);
      case "literal":
        return { kind: "value", value: x.value };
      case "param":
        return this.param(x);
      case "image":
        this.need("lower_ascii");
        this.need("image");
        return call("_image_part", this.value(x.of), { kind: "value", value: x.part });
      case "concat":
        this.need("join_strings");
        return call("_join_strings", { kind: "array", items: x.items.map((i) => this.value(i)) }, { kind: "value", value: "" });
      case "case":
        this.need(x.to === "lower" ? "lower_ascii" : "upper_ascii");
        return call(x.to === "lower" ? "_lower_ascii" : "_upper_ascii", this.value(x.of));
      case "join":
        this.need("join_strings");
        return call("_join_strings", this.lists([x.list]), { kind: "value", value: x.separator });
    }
  }

  /**
   * The objects a lookup finds in Gatekeeper's `data.inventory` (synced by the build's Config):
   * `namespace[ns][groupVersion][kind][name]`, or `cluster[groupVersion][kind][name]` for a
   * cluster-scoped kind, in key order; narrowed by name and labels, leaving out the object under
   * review (ir/lookups.ts). A namespace that is missing, empty or not a string finds none.
   */
  private lookupBody(l: LookupList): Statement[] {
    const inventory = ref(v("data"), "inventory");
    const gvKind = (base: Term) =>
      index(index(base, { kind: "value", value: apiVersionOf(l.target) }), { kind: "value", value: l.target.kind });
    const item = "item_";
    const source: Statement[] = !l.target.namespaced
      ? [{ kind: "some", vars: [item], domain: gvKind(ref(inventory, "cluster")) }]
      : l.namespace
        ? [{ kind: "some", vars: [item], domain: gvKind(index(ref(inventory, "namespace"), v("ns_"))) }]
        : [
            {
              kind: "assign",
              name: item,
              value: index(gvKind(index(ref(inventory, "namespace"), { kind: "wildcard" })), { kind: "wildcard" }),
            },
          ];
    const filters: Statement[] = [];
    const meta = (...path: string[]) => ref(v(item), "metadata", ...path);
    if (l.name) filters.push(this.compare("==", meta("name"), this.value(l.name)));
    for (const label of l.labels ?? [])
      filters.push(this.compare("==", index(meta("labels"), { kind: "value", value: label.key }), this.value(label.value)));
    if (this.admitted && lookupMeetsSubject(this.admitted, l)) {
      const request = (field: string) => this.value({ kind: "field", scope: { kind: "request" }, path: [field], source: l.source });
      const known = this.underReview;
      const self = known ?? this.fresh("under_review");
      this.underReview = self;
      if (!known)
        this.helpers.push({
          kind: "rule",
          name: self,
          head: "complete",
          args: ["x"],
          comment: "the object under review, which a lookup leaves out",
          definitions: [
            {
              body: [
                this.compare("==", ref(v("x"), "metadata", "name"), request("name")),
                this.compare(
                  "==",
                  call("object.get", ref(v("x"), "metadata"), { kind: "value", value: "namespace" }, { kind: "value", value: "" }),
                  request("namespace"),
                ),
              ],
            },
          ],
        });
      filters.push({ kind: "not", term: call(self, v(item)) });
    }
    const found: Term = { kind: "comprehension", head: v(item), body: [...source, ...filters] };
    if (!l.namespace) return [{ kind: "assign", name: "x", value: found }];
    return [
      { kind: "assign", name: "ns_", value: this.value(l.namespace) },
      { kind: "expr", term: call("is_string", v("ns_")) },
      { kind: "expr", term: { kind: "binary", op: "!=", left: v("ns_"), right: { kind: "value", value: "" } } },
      { kind: "assign", name: "x", value: found },
    ];
  }

  /** A list (or concatenated lists) as an array; a missing list, or one that is not an array, is empty. */
  lists(lists: readonly ListSource[]): Term {
    const calls = lists.map((l) => {
      const name = this.fresh("list");
      const args = scopeArgs([l], this.controller !== undefined);
      const body: Statement[] =
        l.kind === "lookup"
          ? this.lookupBody(l)
          : l.kind === "keys"
            ? [
                { kind: "assign", name: "m", value: this.value(l.of) },
                { kind: "expr", term: call("is_object", v("m")) },
                { kind: "assign", name: "x", value: call("sort", call("object.keys", v("m"))) },
              ]
            : l.kind === "split"
              ? [
                  { kind: "assign", name: "s", value: this.value(l.of) },
                  { kind: "expr", term: call("is_string", v("s")) },
                  { kind: "assign", name: "x", value: call("split", v("s"), { kind: "value", value: l.separator }) },
                ]
              : [
                  { kind: "assign", name: "x", value: l.kind === "param" ? this.param(l) : this.field(l) },
                  { kind: "expr", term: call("is_array", v("x")) },
                ];
      this.helpers.push({
        kind: "rule",
        name,
        head: "complete",
        ...(args.length ? { args } : {}),
        definitions: [{ value: v("x"), body, else: { kind: "array", items: [] } }],
      });
      return helperCall(name, args);
    });
    return calls.reduce((acc, c) => call("array.concat", acc, c));
  }

  /** A value, or null where it is missing (a helper with `else := null`), for a call that must see missing values. */
  orNull(x: Value): Term {
    const name = this.fresh("value");
    const args = scopeArgs([x], this.controller !== undefined);
    this.helpers.push({
      kind: "rule",
      name,
      head: "complete",
      ...(args.length ? { args } : {}),
      definitions: [{ value: v("x"), body: [{ kind: "assign", name: "x", value: this.value(x) }], else: { kind: "value", value: null } }],
    });
    return helperCall(name, args);
  }

  /** A value shown in a message: the value as text, the visible MISSING_TEXT when it is missing. */
  messageValue(x: Value): Term {
    const name = this.fresh("value");
    const args = scopeArgs([x], this.controller !== undefined);
    this.helpers.push({
      kind: "rule",
      name,
      head: "complete",
      ...(args.length ? { args } : {}),
      definitions: [
        {
          value: call("_format", v("x")),
          body: [{ kind: "assign", name: "x", value: this.value(x) }],
          else: { kind: "value", value: MISSING_TEXT },
        },
      ],
    });
    this.need("format");
    return helperCall(name, args);
  }

  /** An argument that may be a list: `x[_]` over its items (`_as_list` makes a single value a list). */
  anyItem(a: Value): Term {
    if (a.kind === "literal")
      return Array.isArray(a.value) ? index({ kind: "value", value: a.value }, { kind: "wildcard" }) : { kind: "value", value: a.value };
    this.need("as_list");
    return index(call("_as_list", this.value(a)), { kind: "wildcard" });
  }

  compare(op: "==" | "<" | "<=" | ">" | ">=", left: Term, right: Term): Statement {
    return { kind: "expr", term: { kind: "binary", op, left, right } };
  }
}

/** A helper read with its arguments; one without arguments is a rule, read by name. */
function helperCall(name: string, args: readonly string[]): Term {
  return args.length === 0 ? v(name) : call(name, ...args.map(v));
}

/** The subject and element variables a value reads, as a helper's arguments (subject first, then in order of appearance). */
function scopeArgs(nodes: readonly ValueNode[], podSubject: boolean): string[] {
  let subject = false;
  const elements: string[] = [];
  for (const f of nodes.flatMap(fieldsIn)) {
    // A pod policy's own name and namespace are read from the admitted object, not the subject argument.
    if (f.scope.kind === "subject" && !(podSubject && readsControllerIdentity(f))) subject = true;
    else if (f.scope.kind === "element" && !elements.includes(f.scope.variable)) elements.push(f.scope.variable);
  }
  return [...(subject ? [SUBJECT] : []), ...elements];
}

/**
 * The arguments a helper for `e` needs: the subject if `e` reads it, and the elements in scope
 * that it reads. Passing only those keeps every argument used, as OPA's strict mode requires.
 */
export function argsOf(e: Expr, scope: readonly string[], podSubject = false): string[] {
  let subject = false;
  const used = new Set<string>();
  walkExpr(e, (n) => {
    for (const o of operandsOf(n)) {
      for (const f of fieldsIn(o)) {
        if (f.scope.kind === "subject" && !(podSubject && readsControllerIdentity(f))) subject = true;
        else if (f.scope.kind === "element") used.add(f.scope.variable);
      }
    }
  });
  return [...(subject ? [SUBJECT] : []), ...scope.filter((x) => used.has(x))];
}
