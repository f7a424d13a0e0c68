import { fieldsIn, operandsOf, paramValue, walkExpr, type Expr, type FieldRef, type Issue, type Policy, issue } from "../../ir/index.js";
import { labelKeyProblem, labelValueProblem, type LabelSelectorRequirement } from "../../kube/index.js";

/**
 * The API server gives a ValidatingAdmissionPolicy's match conditions no `namespaceObject`, so a
 * policy precondition on the namespace's labels cannot be a match condition. The conjuncts of
 * the precondition that test one namespace label (equals, one of, exists, and their negations)
 * become the policy's `namespaceSelector` instead, which means the same for namespaced objects.
 */
export interface NamespaceConditions {
  /** Requirements for `matchConstraints.namespaceSelector`. */
  readonly selector: readonly LabelSelectorRequirement[];
  /** What is left of the precondition, for match conditions. */
  readonly rest?: Expr;
}

const readsNamespace = (e: Expr): boolean => {
  let found = false;
  walkExpr(e, (n) => {
    for (const o of operandsOf(n)) if (fieldsIn(o).some((f) => f.scope.kind === "namespace")) found = true;
  });
  return found;
};

/** The label key a field reads from the namespace (`namespaceObject.metadata.labels[key]`), if that is all it reads. */
function labelKey(f: FieldRef, params: Readonly<Record<string, unknown>>): string | undefined {
  if (f.scope.kind !== "namespace" || f.path.length !== 3 || f.path[0] !== "metadata" || f.path[1] !== "labels") return undefined;
  const k = f.path[2]!;
  if (typeof k === "string") return k;
  if (k.key.kind === "literal" && typeof k.key.value === "string") return k.key.value;
  if (k.key.kind === "param") {
    const v = paramValue(params, k.key.path);
    return typeof v === "string" ? v : undefined;
  }
  return undefined;
}

/** One conjunct as a label requirement, if it is one. */
function requirement(e: Expr, params: Readonly<Record<string, unknown>>): LabelSelectorRequirement | undefined {
  const negated = e.kind === "not";
  const inner = negated ? e.item : e;
  const values = (v: Expr extends never ? never : { kind: string; value?: unknown; path?: readonly string[] }): string[] | undefined => {
    const x = v.kind === "literal" ? v.value : v.kind === "param" ? paramValue(params, v.path as readonly string[]) : undefined;
    const list = Array.isArray(x) ? x : [x];
    return list.every((i) => typeof i === "string") ? (list as string[]) : undefined;
  };
  if (inner.kind === "exists") {
    const key = labelKey(inner.field, params);
    return key === undefined ? undefined : { key, operator: negated ? "DoesNotExist" : "Exists" };
  }
  if (inner.kind === "compare" && inner.op === "eq" && inner.left.kind === "field") {
    const key = labelKey(inner.left, params);
    const vs = inner.right.kind === "literal" || inner.right.kind === "param" ? values(inner.right) : undefined;
    return key === undefined || !vs || vs.length !== 1 ? undefined : { key, operator: negated ? "NotIn" : "In", values: vs };
  }
  if (inner.kind === "in" && inner.value.kind === "field" && (inner.list.kind === "literal" || inner.list.kind === "param")) {
    const key = labelKey(inner.value, params);
    const vs = values(inner.list);
    return key === undefined || !vs ? undefined : { key, operator: negated ? "NotIn" : "In", values: vs };
  }
  return undefined;
}

/** Splits a policy's precondition for one instance: namespace label tests, and the rest. */
export function namespaceConditions(p: Policy, params: Readonly<Record<string, unknown>>): NamespaceConditions {
  if (!p.when) return { selector: [] };
  const conjuncts = p.when.kind === "and" ? p.when.items : [p.when];
  const selector: LabelSelectorRequirement[] = [];
  const rest: Expr[] = [];
  for (const c of conjuncts) {
    const r = readsNamespace(c) ? requirement(c, params) : undefined;
    if (r) selector.push(r);
    else rest.push(c);
  }
  if (rest.length === 0) return { selector };
  return { selector, rest: rest.length === 1 ? rest[0]! : { kind: "and", items: rest, source: p.when.source } };
}

/**
 * What the CEL targets cannot express faithfully: a precondition reading the namespace other than
 * as label tests, or label tests on a policy that matches cluster-scoped kinds (a namespace
 * selector never skips those, where the precondition would). Located at the precondition.
 */
export function namespacePreconditionIssues(p: Policy, target: "kyverno" | "kubernetes"): Issue[] {
  if (!p.when || !readsNamespace(p.when)) return [];
  const why =
    "the API server gives match conditions no namespaceObject, so policyc writes namespace label tests as the policy's namespaceSelector";
  for (const inst of p.instances) {
    const { rest, selector } = namespaceConditions(p, inst.values);
    const problems = selector.flatMap((r) =>
      [labelKeyProblem(r.key), ...(r.values ?? []).map(labelValueProblem)].filter((x) => x !== undefined),
    );
    if (problems.length) {
      const where = p.instances.length > 1 || inst.name ? ` (instance "${inst.name ?? ""}")` : "";
      return [
        issue(
          "unsupported_by_target",
          `${target}: the policy's precondition tests namespace labels, which become its namespaceSelector${where}, and ${problems[0]}, which the API server refuses in a selector; test a valid label, move the test into a rule's \`when\`, or skip this target`,
          p.when.source,
          ["when"],
        ),
      ];
    }
    if (rest && readsNamespace(rest)) {
      return [
        issue(
          "unsupported_by_target",
          `${target}: the policy's precondition reads the namespace in a way a namespace selector cannot say (${why}); test the namespace's labels with equals, oneOf, exists or absent, move the test into a rule's \`when\`, or skip this target`,
          p.when.source,
          ["when"],
        ),
      ];
    }
  }
  const clusterScoped = p.match.kinds.filter((k) => !k.namespaced || (k.group === "" && k.kind === "Namespace"));
  if (clusterScoped.length) {
    return [
      issue(
        "unsupported_by_target",
        `${target}: the policy's precondition tests namespace labels, but it matches ${clusterScoped.map((k) => k.kind).join(", ")}, which a namespace selector never skips (${why}); match namespaced kinds only, or skip this target`,
        p.when.source,
        ["when"],
      ),
    ];
  }
  return [];
}
