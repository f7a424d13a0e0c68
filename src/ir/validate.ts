import { fail, issue, ok, type Issue, type Result } from "./issue.js";
import { checkRegex, isQuantity } from "./regex.js";
import { instanceName, outputNames } from "./names.js";
import { policySchema } from "./schema.js";
import { paramValue } from "./params.js";
import { REQUEST_FIELDS, requestField } from "./request.js";
import type { Expr, Policy, Scalar, SourceLocation, Value } from "./types.js";
import { fieldsIn, pathText, valueChildren, type ValueNode } from "./values.js";
import { operandsOf, walkExpr, walkPolicy } from "./walk.js";
import type { LookupList } from "./lookups.js";
import { apiVersionOf, labelKeyProblem, labelValueProblem } from "../kube/index.js";
import { messageWitness } from "./witness.js";

/**
 * A name as an error shows it: quoted, with control, bidirectional-override and invisible
 * characters escaped (\u202e), so a message never reorders or hides what follows it.
 */
export function shownName(name: string): string {
  const hidden = (c: number) =>
    c <= 0x1f ||
    (c >= 0x7f && c <= 0x9f) ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2069) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0xfeff;
  let out = "";
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    out += ch === "\\" || ch === '"' ? `\\${ch}` : hidden(c) ? `\\u${c.toString(16).padStart(4, "0")}` : ch;
  }
  return `"${out}"`;
}

/** DNS-1123 label: names become Kubernetes object names, Gatekeeper kinds and Rego packages. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_NAME = 63;

export function checkName(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > MAX_NAME) return `must be at most ${MAX_NAME} characters (has ${name.length})`;
  if (!/^[a-z]/.test(name)) return "must start with a letter (it also names the Gatekeeper constraint kind)";
  if (!NAME.test(name)) {
    return "must consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character";
  }
  return undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * User strings with a lone UTF-16 surrogate (half of an emoji, say): no UTF-8 encoding exists, so
 * no YAML, CEL or Rego could carry them. Reported at the string's place in the policy.
 */
function loneSurrogates(p: Policy): Issue[] {
  const out: Issue[] = [];
  // Inside a rule, the rule's field (assert, when, message) is what the source can point at; the
  // nearest node's own source location (a message's template literal, say) is the line.
  const at = (path: (string | number)[]) => (path[0] === "rules" ? path.slice(0, 3) : path);
  const visit = (v: unknown, path: (string | number)[], where: SourceLocation) => {
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v))
        out.push(
          issue(
            "invalid_policy",
            `the text ${JSON.stringify(v)} holds a lone UTF-16 surrogate, which has no UTF-8 encoding`,
            where,
            at(path),
          ),
        );
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...path, i], where));
    else if (v && typeof v === "object") {
      const own = (v as { source?: SourceLocation }).source;
      const here = own && typeof own.line === "number" ? own : where;
      for (const [k, x] of Object.entries(v)) {
        if (k === "source") continue;
        if (LONE_SURROGATE.test(k))
          out.push(
            issue(
              "invalid_policy",
              `the key ${JSON.stringify(k)} holds a lone UTF-16 surrogate, which has no UTF-8 encoding`,
              here,
              at(path),
            ),
          );
        visit(x, [...path, k], here);
      }
    }
  };
  visit(p, [], p.source);
  return out;
}

/**
 * Checks a policy: first its shape (zod), then what the shape cannot say: names, regexes,
 * quantities, operand types, variable scopes and message witnesses. Returns every issue found.
 */
export function validatePolicy(input: unknown): Result<Policy> {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    const src = (input as { source?: Policy["source"] } | null)?.source;
    return fail(
      parsed.error.issues.map((i) =>
        issue(
          "invalid_policy",
          i.message,
          src,
          i.path.filter((p): p is string | number => typeof p !== "symbol"),
        ),
      ),
    );
  }
  const p = parsed.data as Policy;
  const issues: Issue[] = [...loneSurrogates(p)];
  const nameError = checkName(p.name);
  if (nameError) issues.push(issue("invalid_name", `policy name ${shownName(p.name)} ${nameError}`, p.source, ["name"]));
  if (p.match.kinds.length === 0)
    issues.push(issue("unknown_kind", "match.kinds must name at least one kind", p.source, ["match", "kinds"]));
  if (p.rules.length === 0) issues.push(issue("invalid_policy", "a policy needs at least one rule", p.source, ["rules"]));
  for (const side of ["include", "exclude"] as const) {
    p.match.namespaces?.[side]?.forEach((ns, i) => {
      // Gatekeeper would read `kube-*` as a glob; the CEL targets select namespaces by their name
      // label, which takes names only. A namespace name is a DNS-1123 label.
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))
        issues.push(
          issue(
            "invalid_policy",
            `${JSON.stringify(ns)} is not a namespace name${ns.includes("*") ? " (globs are not supported: the CEL targets select namespaces by name; list them, or select them by label with namespaceLabels)" : ""}`,
            p.source,
            ["match", side === "include" ? "namespaces" : "excludeNamespaces", i],
          ),
        );
    });
  }
  const ruleNames = new Set<string>();
  p.rules.forEach((r, i) => {
    const err = checkName(r.name);
    if (err) issues.push(issue("invalid_name", `rule name ${shownName(r.name)} ${err}`, r.source, ["rules", i, "name"]));
    if (ruleNames.has(r.name))
      issues.push(issue("duplicate_rule_name", `rule name "${r.name}" is used twice`, r.source, ["rules", i, "name"]));
    ruleNames.add(r.name);
    const { unbound } = messageWitness(r.assert, r.message);
    for (const v of unbound) {
      issues.push(
        issue(
          "message_variable_out_of_scope",
          `the message reads element "${v}", but no element explains a violation there: interpolate elements only from every(...) / none(...) checks that make the rule fail`,
          r.message.source,
          ["rules", i, "message"],
        ),
      );
    }
  });
  const instanceNames = new Set<string>();
  p.instances.forEach((inst, i) => {
    if (p.instances.length > 1 && inst.name === undefined) {
      issues.push(
        issue("invalid_name", "every instance of a policy with several instances needs a name", inst.source, ["instances", i, "name"]),
      );
    }
    if (inst.name !== undefined) {
      const err = checkName(instanceName(p.name, inst));
      if (err)
        issues.push(
          issue(
            "invalid_name",
            `instance name ${shownName(inst.name)} gives ${shownName(`${p.name}-${inst.name}`)}, which ${err}`,
            inst.source,
            ["instances", i, "name"],
          ),
        );
      if (instanceNames.has(inst.name))
        issues.push(issue("invalid_name", `instance name "${inst.name}" is used twice`, inst.source, ["instances", i, "name"]));
      instanceNames.add(inst.name);
    }
  });
  walkPolicy(p, (node, path) => issues.push(...checkExpr(node, path)));
  if (p.when)
    walkExpr(p.when, (node, path) => {
      for (const o of operandsOf(node))
        for (const l of lookupsOf(o))
          issues.push(
            issue(
              "invalid_lookup",
              "a lookup cannot be in the policy's when (it becomes a match condition, which cannot read the cluster): move the condition into a rule's when",
              l.source,
              ["when", ...path],
            ),
          );
    });
  checkScopes(p, issues);
  issues.push(...checkParamValues(p));
  return issues.length > 0 ? fail(issues) : ok(p);
}

/** What the request scope offers to read. */

function checkExpr(e: Expr, path: readonly (string | number)[]): Issue[] {
  const out: Issue[] = [];
  const literalItems = (v: Scalar | readonly Scalar[]): Scalar[] => (Array.isArray(v) ? [...v] : [v as Scalar]);
  for (const o of operandsOf(e)) {
    for (const f of fieldsIn(o)) {
      if (f.scope.kind === "request" && !requestField(f.path)) {
        out.push(
          issue(
            "invalid_policy",
            `the admission request has no field ${pathText(f.path)} (it offers ${REQUEST_FIELDS.map((r) => r.path.join(".")).join(", ")})`,
            f.source,
            path,
          ),
        );
      }
    }
  }
  for (const o of operandsOf(e)) for (const l of lookupsOf(o)) out.push(...checkLookup(l, path));
  switch (e.kind) {
    case "selects":
      for (const [what, v] of [
        ["selector", e.selector],
        ["labels", e.labels],
      ] as const)
        if (v.kind === "literal")
          out.push(issue("invalid_policy", `selects() reads its ${what} from an object, not a literal`, e.source, path));
      break;
    case "string":
      if (e.op === "glob" && e.arg.kind !== "literal") {
        out.push(
          issue(
            "unsupported_operator",
            "glob patterns must be written in the policy; for a parameter, use matches() with a regex parameter",
            e.source,
            path,
          ),
        );
      }
      if (e.arg.kind === "literal") {
        for (const s of literalItems(e.arg.value)) {
          if (typeof s !== "string")
            out.push(issue("invalid_policy", `${e.op} needs string arguments, got ${JSON.stringify(s)}`, e.source, path));
          else if (e.op === "matches") {
            const err = checkRegex(s);
            if (err)
              out.push(
                issue(
                  "invalid_regex",
                  `invalid regular expression ${JSON.stringify(s)}: ${err} (policyc accepts RE2 syntax, which CEL and Rego share)`,
                  e.source,
                  path,
                ),
              );
          }
        }
      }
      break;
    case "quantity":
      if (e.right.kind === "literal") {
        for (const s of literalItems(e.right.value)) {
          if (typeof s !== "string" || !isQuantity(s))
            out.push(issue("invalid_quantity", `${JSON.stringify(s)} is not a Kubernetes quantity (like "500m" or "1Gi")`, e.source, path));
        }
      }
      break;
    case "compare":
      if (e.right.kind === "literal") {
        if (Array.isArray(e.right.value)) out.push(issue("invalid_policy", "compare needs a single value, not a list", e.source, path));
        else if (e.op !== "eq" && typeof e.right.value !== "number") {
          out.push(issue("invalid_policy", `ordering comparison needs a number, got ${JSON.stringify(e.right.value)}`, e.source, path));
        }
      }
      break;
    case "in":
      if (e.list.kind === "literal" && !Array.isArray(e.list.value))
        out.push(issue("invalid_policy", "oneOf needs a list of values", e.source, path));
      break;
    default:
      break;
  }
  return out;
}

/** The lookups a value or list reads, itself included. */
function lookupsOf(n: ValueNode): LookupList[] {
  return [...(n.kind === "lookup" ? [n] : []), ...valueChildren(n).flatMap(lookupsOf)];
}

/** Whether a literal is a string that can name an object (a path segment: no `/` or `%`, not `.` or `..`). */
const objectName = (s: string) => s !== "" && s !== "." && s !== ".." && !/[/%]/.test(s) && s.length <= 253;

/** A lookup that cannot be made, or can never match: located where it is written. */
function checkLookup(l: LookupList, path: readonly (string | number)[]): Issue[] {
  const out: Issue[] = [];
  const bad = (message: string) => out.push(issue("invalid_lookup", message, l.source, path));
  const what = `${l.target.kind} (${apiVersionOf(l.target)})`;
  if (!l.target.namespaced && l.namespace) bad(`${what} is cluster-scoped: a lookup of it takes no namespace (it lists the whole cluster)`);
  const literal = (v: Value | undefined) => (v?.kind === "literal" ? v.value : undefined);
  const ns = literal(l.namespace);
  if (ns !== undefined && (typeof ns !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)))
    bad(`the lookup's namespace ${JSON.stringify(ns)} is not a namespace name: it would never match`);
  const name = literal(l.name);
  if (name !== undefined && (typeof name !== "string" || !objectName(name)))
    bad(`the lookup's name ${JSON.stringify(name)} cannot name an object: it would never match`);
  for (const label of l.labels ?? []) {
    const keyProblem = labelKeyProblem(label.key);
    if (keyProblem) bad(`the lookup's labels: ${keyProblem}`);
    const value = literal(label.value);
    if (value !== undefined) {
      const valueProblem = typeof value === "string" ? labelValueProblem(value) : `${JSON.stringify(value)} is not a string`;
      if (valueProblem) bad(`the lookup's label ${label.key}: ${valueProblem}; no object can carry it`);
    }
  }
  return out;
}

/** Every element variable must be bound by an enclosing quantifier, and bound only once. */
function checkScopes(p: Policy, issues: Issue[]): void {
  const visit = (e: Expr, bound: readonly string[], path: readonly (string | number)[]): void => {
    for (const o of operandsOf(e)) {
      // A quantifier's lists are read outside its own element.
      for (const r of fieldsIn(o)) {
        if (r.scope.kind === "element" && !bound.includes(r.scope.variable)) {
          issues.push(
            issue("invalid_policy", `element "${r.scope.variable}" is read outside the every/some that binds it`, r.source, path),
          );
        }
      }
    }
    switch (e.kind) {
      case "and":
      case "or":
        e.items.forEach((x, i) => visit(x, bound, [...path, "items", i]));
        return;
      case "not":
        visit(e.item, bound, [...path, "item"]);
        return;
      case "quantifier":
        if (bound.includes(e.variable))
          issues.push(issue("invalid_policy", `element variable "${e.variable}" is bound twice`, e.source, path));
        visit(e.body, [...bound, e.variable], [...path, "body"]);
        return;
      default:
        return;
    }
  };
  if (p.when) visit(p.when, [], ["when"]);
  p.rules.forEach((r, i) => {
    if (r.when) visit(r.when, [], ["rules", i, "when"]);
    visit(r.assert, [], ["rules", i, "assert"]);
  });
}

/**
 * Parameter values are checked where the policy uses them, for every instance: a regex (as RE2),
 * a quantity, a map key (a string), including the fields of list parameters' elements
 * (`params.required.every((r) => … matches(r.pattern))`). A bad value is an `invalid_params`
 * issue at the instance, never generated code an engine rejects.
 */
function checkParamValues(p: Policy): Issue[] {
  type Use = { kind: "regex" | "quantity" | "key"; path: readonly string[]; element?: readonly string[]; source: SourceLocation };
  const uses: Use[] = [];
  const visit = (e: Expr, elements: Readonly<Record<string, readonly string[]>>): void => {
    // Where a value comes from: a parameter path, or a field of an element of a list parameter.
    const origin = (v: Value): { path: readonly string[]; element?: readonly string[] } | undefined => {
      if (v.kind === "param") return { path: v.path };
      if (v.kind === "field" && v.scope.kind === "element" && elements[v.scope.variable] && v.path.every((s) => typeof s === "string")) {
        return { path: elements[v.scope.variable]!, element: v.path as readonly string[] };
      }
      return undefined;
    };
    const use = (kind: Use["kind"], v: Value, source: SourceLocation) => {
      const o = origin(v);
      if (o) uses.push({ kind, ...o, source });
    };
    for (const o of operandsOf(e)) {
      for (const f of fieldsIn(o)) for (const s of f.path) if (typeof s !== "string") use("key", s.key, f.source);
    }
    switch (e.kind) {
      case "string":
        if (e.op === "matches") use("regex", e.arg, e.source);
        break;
      case "quantity":
        use("quantity", e.right, e.source);
        break;
      case "and":
      case "or":
        e.items.forEach((x) => visit(x, elements));
        break;
      case "not":
        visit(e.item, elements);
        break;
      case "quantifier": {
        const list = e.lists.length === 1 && e.lists[0]!.kind === "param" ? e.lists[0]!.path : undefined;
        visit(e.body, list ? { ...elements, [e.variable]: list } : elements);
        break;
      }
      default:
        break;
    }
  };
  walkPolicyRoots(p, (e) => visit(e, {}));
  const out: Issue[] = [];
  p.instances.forEach((inst, i) => {
    const where = p.instances.length > 1 || inst.name ? `instance "${inst.name ?? ""}"` : "the parameters";
    for (const u of uses) {
      const at = paramValue(inst.values, u.path);
      const values = u.element
        ? (Array.isArray(at) ? at : []).map((x) =>
            x && typeof x === "object" ? paramValue(x as Record<string, unknown>, u.element!) : undefined,
          )
        : Array.isArray(at)
          ? at
          : [at];
      for (const v of values) {
        if (v === undefined || v === null) continue;
        const shown = [...u.path, ...(u.element ? ["[]", ...u.element] : [])].join(".");
        const bad = (message: string) =>
          out.push(issue("invalid_params", `${where}: ${shown} ${message}`, inst.source, ["instances", i, "params", ...u.path]));
        if (u.kind === "regex") {
          const err = typeof v === "string" ? checkRegex(v) : "is not a string";
          if (err) bad(`is not a valid RE2 regular expression (${JSON.stringify(v)}: ${err})`);
        } else if (u.kind === "quantity") {
          if (!((typeof v === "string" && isQuantity(v)) || typeof v === "number"))
            bad(`is not a Kubernetes quantity (got ${JSON.stringify(v)})`);
        } else if (typeof v !== "string") bad(`is used as a map key and must be a string (got ${JSON.stringify(v)})`);
      }
    }
  });
  return out;
}

/** The top-level expressions of a policy (its precondition, each rule's precondition and assertion). */
function walkPolicyRoots(p: Policy, visit: (e: Expr) => void): void {
  if (p.when) visit(p.when);
  for (const r of p.rules) {
    if (r.when) visit(r.when);
    visit(r.assert);
  }
}

/** Checks a set of policies together: each one, then names unique across all of them. */
export function validatePolicies(policies: readonly Policy[]): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, Policy>();
  for (const p of policies) {
    const r = validatePolicy(p);
    if (!r.ok) issues.push(...r.issues);
    for (const name of new Set([p.name, ...outputNames(p)])) {
      const prev = seen.get(name);
      if (prev && prev !== p) {
        issues.push(
          issue("duplicate_policy_name", `policy name "${name}" is already used by ${prev.source.file}:${prev.source.line}`, p.source, [
            "name",
          ]),
        );
      }
      seen.set(name, p);
    }
  }
  return issues;
}
