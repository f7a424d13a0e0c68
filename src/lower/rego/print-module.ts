import {
  assertNever,
  messageWitness,
  operandsOf,
  walkExpr,
  POD_CONTROLLERS,
  type CompareOp,
  type Expr,
  type FieldRef,
  type Literal,
  type ParamRef,
  type Policy,
  type Rule,
} from "../../ir/index.js";
import { regoSelect, regoString, regoValue } from "./escape.js";

const OPS: Record<CompareOp, string> = { eq: "==", lt: "<", le: "<=", gt: ">", ge: ">=" };

/** Argument name of the subject in every helper function. */
const SUBJECT = "subject";

/** Rego package for a policy: Gatekeeper convention is the lowercased constraint kind. */
export function regoPackage(p: Policy): string {
  return p.name.replace(/-/g, "");
}

/**
 * Writes a policy as a Gatekeeper Rego module: `violation[{"msg", "details"}]` over
 * `input.review.object` and `input.parameters`. Parses as Rego v1 and as Rego v0 with
 * `import rego.v1`. Conditions become helper functions so they can be negated; the arguments
 * are the subject and the quantifier elements in scope.
 */
export function printRegoModule(p: Policy): string {
  const m = new ModuleWriter();
  const out: string[] = [`package ${regoPackage(p)}`, "", "import rego.v1", ""];
  for (const r of p.rules) out.push(...m.violation(r), "");
  out.push(...m.applies(p), "");
  out.push(...m.subjectRules(p), "");
  out.push(...m.helpers);
  return (
    out
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trimEnd() + "\n"
  );
}

function call(name: string, args: readonly string[]): string {
  return args.length === 0 ? name : `${name}(${args.join(", ")})`;
}

/**
 * The arguments a helper for `e` needs: the subject if `e` reads it, and the elements in scope
 * that it reads. Passing only those keeps every argument used, as OPA's strict mode requires.
 */
function argsOf(e: Expr, scope: readonly string[]): string[] {
  let subject = false;
  const used = new Set<string>();
  walkExpr(e, (n) => {
    for (const o of operandsOf(n)) {
      if (o.kind !== "field") continue;
      if (o.scope.kind === "subject") subject = true;
      else used.add(o.scope.variable);
    }
  });
  return [...(subject ? [SUBJECT] : []), ...scope.filter((v) => used.has(v))];
}

class ModuleWriter {
  readonly helpers: string[] = [];
  private count = 0;
  private usesFormat = false;

  private fresh(prefix: string): string {
    return `_${prefix}${this.count++}`;
  }

  /** Defines a helper taking `args`; with no arguments it is a rule, not a function. */
  private define(name: string, args: readonly string[], bodies: readonly (readonly string[])[]): string {
    const head = call(name, args);
    for (const body of bodies) this.helpers.push(`${head} if {`, ...body.map((l) => `\t${l}`), "}", "");
    if (bodies.length === 0) this.helpers.push(`${head} if false`, "");
    return head;
  }

  subjectRules(p: Policy): string[] {
    const lines: string[] = [];
    const obj = p.match.operations.includes("DELETE") ? "_object" : "input.review.object";
    if (p.match.operations.includes("DELETE")) {
      lines.push(
        "# DELETE requests carry the object in oldObject.",
        `_object := input.review.oldObject if input.review.operation == "DELETE"`,
        `_object := input.review.object if input.review.operation != "DELETE"`,
        `_object := input.review.object if not input.review.operation`,
        "",
      );
    }
    const ops = p.match.operations.map(regoString).join(", ");
    lines.push(
      "# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.",
      "_operation_matches if not input.review.operation",
      `_operation_matches if input.review.operation in {${ops}}`,
      "",
    );
    if (p.subject === "resource") {
      lines.push(`_subject := ${obj}`);
      return lines;
    }
    const get = (path: readonly string[]) => path.reduce((acc, seg) => `object.get(${acc}, ${regoString(seg)}, {})`, obj);
    const kinds = (ks: string[]) => `{${ks.map(regoString).join(", ")}}`;
    const cron = POD_CONTROLLERS.filter((c) => c.kind.kind === "CronJob");
    const rest = POD_CONTROLLERS.filter((c) => c.kind.kind !== "CronJob");
    lines.push(
      "# The pod the rules read: the Pod itself, or the pod template of a controller.",
      `_subject := ${obj} if ${obj}.kind == "Pod"`,
      `_subject := ${get(rest[0]!.template)} if ${obj}.kind in ${kinds(rest.map((c) => c.kind.kind))}`,
      `_subject := ${get(cron[0]!.template)} if ${obj}.kind in ${kinds(cron.map((c) => c.kind.kind))}`,
    );
    return lines;
  }

  /**
   * `applies`: the review's operation matches and the policy's precondition holds. Gatekeeper
   * reads only `violation`; `policyc test` also reads `applies` to tell "does not apply" from
   * "allowed", as ValidatingAdmissionPolicy matchConditions do.
   */
  applies(p: Policy): string[] {
    const head = "# Whether the policy applies to the review (operation and precondition); every violation requires it.";
    // One query for policyc test: undefined when the policy does not apply, else the violations.
    const review = [
      "",
      "# For policyc test (Gatekeeper reads only violation): the review's outcome in one query.",
      'policyc_review := {"violations": violation} if applies',
    ];
    if (!p.when) return [head, "applies if _operation_matches", ...review];
    const body = ["_operation_matches", `${SUBJECT} := _subject`, ...this.holds(p.when, [])];
    return [head, "applies if {", ...body.map((l) => `\t${l}`), "}", ...review];
  }

  violation(r: Rule): string[] {
    const body: string[] = ["applies", `${SUBJECT} := _subject`];
    if (r.when) body.push(...this.holds(r.when, []));
    const { steps } = messageWitness(r.assert, r.message);
    const scope: string[] = [];
    if (steps.length === 0) body.push(...this.fails(r.assert, []));
    steps.forEach((s, i) => {
      body.push(`some ${s.variable} in ${this.lists(s.lists, scope)}`);
      scope.push(s.variable);
      if (i === steps.length - 1) body.push(...(s.bodyHolds ? this.holds(s.body, scope) : this.fails(s.body, scope)));
    });
    body.push(`msg := ${this.message(r, scope)}`);
    return [
      `# ${r.name}`,
      `violation contains {"msg": msg, "details": {"rule": ${regoString(r.name)}}} if {`,
      ...body.map((l) => `\t${l}`),
      "}",
    ];
  }

  private message(r: Rule, scope: readonly string[]): string {
    const parts = r.message.parts.map((part) => {
      if (part.kind === "text") return regoString(part.text);
      this.usesFormat = true;
      const v = part.value;
      const head = call(this.fresh("value"), v.kind === "param" ? [] : [v.scope.kind === "subject" ? SUBJECT : v.scope.variable]);
      const read = v.kind === "param" ? this.param(v) : this.ref(v);
      this.helpers.push(`${head} := _format(x) if {`, `\tx := ${read}`, `} else := ""`, "");
      this.emitFormat();
      return head;
    });
    if (parts.length === 0) return '""';
    return parts.length === 1 && r.message.parts[0]!.kind === "text" ? parts[0]! : `concat("", [${parts.join(", ")}])`;
  }

  private emitFormat(): void {
    if (this.usesFormat && !this.helpers.includes("_format(x) := x if is_string(x)")) {
      this.helpers.push("_format(x) := x if is_string(x)", "", "_format(x) := json.marshal(x) if not is_string(x)", "");
    }
  }

  private ref(f: FieldRef): string {
    const base = f.scope.kind === "subject" ? SUBJECT : f.scope.variable;
    return base + f.path.map(regoSelect).join("");
  }

  private param(p: ParamRef): string {
    return "input.parameters" + p.path.map(regoSelect).join("");
  }

  /** A list (or concatenated lists) as an array; a missing or non-array value is empty. */
  private lists(lists: readonly FieldRef[], scope: readonly string[]): string {
    const calls = lists.map((l) => {
      const head = call(this.fresh("list"), [l.scope.kind === "subject" ? SUBJECT : l.scope.variable]);
      this.helpers.push(`${head} := x if {`, `\tx := ${this.ref(l)}`, "\tis_array(x)", "} else := []", "");
      return head;
    });
    return calls.reduce((acc, c) => `array.concat(${acc}, ${c})`);
  }

  /** A list argument: `["a", "b"]`, or the parameter (empty when unset). */
  private listArg(a: Literal | ParamRef): { list: boolean; text: string } {
    if (a.kind === "literal") return { list: Array.isArray(a.value), text: regoValue(a.value) };
    return { list: true, text: `_as_list(${this.param(a)})` };
  }

  /** Statements that succeed exactly when `e` holds. */
  holds(e: Expr, scope: readonly string[]): string[] {
    switch (e.kind) {
      case "const":
        return [String(e.value)];
      case "exists":
        return e.field.path.length === 0 ? ["true"] : [`_ = ${this.ref(e.field)}`];
      case "compare": {
        const left = this.ref(e.left);
        const right =
          e.right.kind === "field" ? this.ref(e.right) : e.right.kind === "param" ? this.param(e.right) : regoValue(e.right.value);
        if (e.op === "eq") return [`${left} == ${right}`];
        return [`is_number(${left})`, ...(e.right.kind === "literal" ? [] : [`is_number(${right})`]), `${left} ${OPS[e.op]} ${right}`];
      }
      case "in": {
        const a = this.listArg(e.list);
        if (a.text.startsWith("_as_list(")) this.emitAsList();
        return a.list ? [`${this.ref(e.value)} == ${a.text}[_]`] : [`${this.ref(e.value)} == ${a.text}`];
      }
      case "string": {
        const v = this.ref(e.value);
        const a = this.listArg(e.arg);
        if (a.text.startsWith("_as_list(")) this.emitAsList();
        const arg = a.list ? `${a.text}[_]` : a.text;
        const call =
          e.op === "startsWith"
            ? `startswith(${v}, ${arg})`
            : e.op === "endsWith"
              ? `endswith(${v}, ${arg})`
              : e.op === "contains"
                ? `contains(${v}, ${arg})`
                : `regex.match(${arg}, ${v})`;
        return [`is_string(${v})`, call];
      }
      case "quantity": {
        this.emitQuantity();
        const right = e.right.kind === "param" ? this.param(e.right) : regoValue(e.right.value);
        return [`_quantity(${this.ref(e.left)}) ${OPS[e.op]} _quantity(${right})`];
      }
      case "count":
        return [`count(${this.lists(e.lists, scope)}) ${OPS[e.op]} ${e.value}`];
      case "quantifier": {
        const inner = [...scope, e.variable];
        if (e.quantifier === "any") {
          // In a helper of its own: two quantifiers over the same variable name in one body
          // would declare it twice ("var declared above").
          return [
            this.define(this.fresh("any"), argsOf(e, scope), [
              [`some ${e.variable} in ${this.lists(e.lists, scope)}`, ...this.holds(e.body, inner)],
            ]),
          ];
        }
        // every element holds <=> no element fails
        const head = this.define(this.fresh("fails"), argsOf(e, scope), [
          [`some ${e.variable} in ${this.lists(e.lists, scope)}`, ...this.fails(e.body, inner)],
        ]);
        return [`not ${head}`];
      }
      case "and":
        return e.items.flatMap((i) => this.holds(i, scope));
      case "or": {
        return [
          this.define(
            this.fresh("any"),
            argsOf(e, scope),
            e.items.map((i) => this.holds(i, scope)),
          ),
        ];
      }
      case "not":
        return this.fails(e.item, scope);
      default:
        return assertNever(e);
    }
  }

  /** Statements that succeed exactly when `e` does not hold. */
  fails(e: Expr, scope: readonly string[]): string[] {
    if (e.kind === "not") return this.holds(e.item, scope);
    if (e.kind === "quantifier" && e.quantifier === "all") {
      const inner = [...scope, e.variable];
      return [
        this.define(this.fresh("fails"), argsOf(e, scope), [
          [`some ${e.variable} in ${this.lists(e.lists, scope)}`, ...this.fails(e.body, inner)],
        ]),
      ];
    }
    if (e.kind === "or") return e.items.flatMap((i) => this.fails(i, scope));
    const stmts = this.holds(e, scope);
    // Only a plain comparison is negated in place. A wildcard under `not` (`not _ = x`,
    // `not x == list[_]`) is unsafe in Rego, and OPA evaluates a call's reference arguments
    // outside the negation (`not _quantity(c.missing) == q` is undefined, not true). Such
    // statements, and several, go into a helper that `not` can call.
    if (stmts.length === 1 && !/^some |\b_\b|\(/.test(stmts[0]!)) return [`not ${stmts[0]}`];
    return [`not ${this.define(this.fresh("holds"), argsOf(e, scope), [stmts])}`];
  }

  private emitAsList(): void {
    if (this.helpers.includes("_as_list(x) := x if is_array(x)")) return;
    this.helpers.push("_as_list(x) := x if is_array(x)", "", "_as_list(x) := [x] if not is_array(x)", "");
  }

  private emitQuantity(): void {
    if (this.helpers.includes("# Kubernetes quantities as numbers: plain numbers, decimal and binary SI suffixes, exponents.")) return;
    this.helpers.push(
      "# Kubernetes quantities as numbers: plain numbers, decimal and binary SI suffixes, exponents.",
      "_quantity(x) := x if is_number(x)",
      "",
      "_quantity(x) := to_number(x) if {",
      "\tis_string(x)",
      "\tregex.match(`^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$`, x)",
      "}",
      "",
      "_quantity(x) := n if {",
      "\tis_string(x)",
      "\tsome suffix, factor in _quantity_multipliers",
      "\tendswith(x, suffix)",
      "\tdigits := trim_suffix(x, suffix)",
      "\tregex.match(`^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$`, digits)",
      "\tn := to_number(digits) * factor",
      "}",
      "",
      "_quantity(x) := n if {",
      "\tis_string(x)",
      "\tsome suffix, divisor in _quantity_divisors",
      "\tendswith(x, suffix)",
      "\tdigits := trim_suffix(x, suffix)",
      "\tregex.match(`^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$`, digits)",
      "\tn := to_number(digits) / divisor",
      "}",
      "",
      '_quantity_multipliers := {"k": 1000, "M": 1000000, "G": 1000000000, "T": 1000000000000, "P": 1000000000000000, "E": 1000000000000000000, "Ki": 1024, "Mi": 1048576, "Gi": 1073741824, "Ti": 1099511627776, "Pi": 1125899906842624, "Ei": 1152921504606846976}',
      "",
      '_quantity_divisors := {"n": 1000000000, "u": 1000000, "m": 1000}',
      "",
    );
  }
}
