import { operandsOf, walkExpr, type Expr, type FieldRef, type ParamRef } from "../../ir/index.js";
import { binary, call, index, ref, v, type Prelude, type PreludeName, type Rule, type Statement, type Term } from "./ast.js";

/** Argument name of the subject in every helper function. */
export const SUBJECT = "subject";

/**
 * Collects the helper rules and preludes a module needs while its rules are lowered. Helpers
 * get fresh names (`_list0`, `_any3`…) in the order they are made, so output is deterministic.
 */
export class RegoBuilder {
  readonly helpers: (Rule | Prelude)[] = [];
  private readonly preludes = new Set<PreludeName>();
  private count = 0;

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

  /** A field of the subject or of an element in scope. */
  field(f: FieldRef): Term {
    return ref(v(f.scope.kind === "subject" ? SUBJECT : f.scope.variable), ...f.path);
  }

  param(p: ParamRef): Term {
    return ref(ref(v("input"), "parameters"), ...p.path);
  }

  /** A list (or concatenated lists) as an array; a missing or non-array value is empty. */
  lists(lists: readonly FieldRef[]): Term {
    const calls = lists.map((l) => {
      const name = this.fresh("list");
      const args = [l.scope.kind === "subject" ? SUBJECT : l.scope.variable];
      this.helpers.push({
        kind: "rule",
        name,
        head: "complete",
        args,
        definitions: [
          {
            value: v("x"),
            body: [
              { kind: "assign", name: "x", value: this.field(l) },
              { kind: "expr", term: call("is_array", v("x")) },
            ],
            else: { kind: "array", items: [] },
          },
        ],
      });
      return helperCall(name, args);
    });
    return calls.reduce((acc, c) => call("array.concat", acc, c));
  }

  /** A value shown in a message: the field or parameter as text, "" when it is missing. */
  messageValue(x: FieldRef | ParamRef): Term {
    const name = this.fresh("value");
    const args = x.kind === "param" ? [] : [x.scope.kind === "subject" ? SUBJECT : x.scope.variable];
    this.helpers.push({
      kind: "rule",
      name,
      head: "complete",
      ...(args.length ? { args } : {}),
      definitions: [
        {
          value: call("_format", v("x")),
          body: [{ kind: "assign", name: "x", value: x.kind === "param" ? this.param(x) : this.field(x) }],
          else: { kind: "value", value: "" },
        },
      ],
    });
    this.need("format");
    return helperCall(name, args);
  }

  /** `x[_]` over a list argument (`_as_list` makes a single parameter value a list). */
  listArg(a: { kind: "literal"; value: unknown } | ParamRef): { list: boolean; term: Term } {
    if (a.kind === "literal") return { list: Array.isArray(a.value), term: { kind: "value", value: a.value } };
    this.need("as_list");
    return { list: true, term: call("_as_list", this.param(a)) };
  }

  /** Any element of a list term: `list[_]`. */
  anyOf(list: Term): Term {
    return index(list, { kind: "wildcard" });
  }

  compare(op: "==" | "<" | "<=" | ">" | ">=", left: Term, right: Term): Statement {
    return { kind: "expr", term: binary(op, left, right) };
  }
}

/** A helper read with its arguments; one without arguments is a rule, read by name. */
function helperCall(name: string, args: readonly string[]): Term {
  return args.length === 0 ? v(name) : call(name, ...args.map(v));
}

/**
 * The arguments a helper for `e` needs: the subject if `e` reads it, and the elements in scope
 * that it reads. Passing only those keeps every argument used, as OPA's strict mode requires.
 */
export function argsOf(e: Expr, scope: readonly string[]): string[] {
  let subject = false;
  const used = new Set<string>();
  walkExpr(e, (n) => {
    for (const o of operandsOf(n)) {
      if (o.kind !== "field") continue;
      if (o.scope.kind === "subject") subject = true;
      else used.add(o.scope.variable);
    }
  });
  return [...(subject ? [SUBJECT] : []), ...scope.filter((x) => used.has(x))];
}
