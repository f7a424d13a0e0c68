import { issue, lookupsIn, paramValue, type Issue, type Policy } from "../../ir/index.js";
import { lowerToCel } from "./lower-policy.js";
import { namespacePreconditionIssues } from "./namespace-conditions.js";

/** The longest CEL expression the API server compiles, in code points (Kubernetes' own limit). */
export const MAX_CEL_EXPRESSION = 100_000;

/**
 * What the CEL targets (Kyverno ValidatingPolicy, ValidatingAdmissionPolicy) cannot express
 * faithfully for this policy: located `unsupported_by_target` issues, which stop the build unless
 * the policy skips the target.
 */
export function celTargetIssues(p: Policy, target: "kyverno" | "kubernetes"): Issue[] {
  const issues = [...namespacePreconditionIssues(p, target), ...lineBreakIssues(p, target), ...lookupIssues(p, target)];
  return issues.length ? issues : sizeIssues(p, target);
}

/** Expressions longer than the API server compiles (a long literal list, inlined): the build says so, not a failure at test time. */
function sizeIssues(p: Policy, target: string): Issue[] {
  for (const inst of p.instances) {
    const cel = lowerToCel(p, inst);
    const all = [
      ...cel.variables.map((v) => ({ what: `variable ${v.name}`, text: v.expression, source: p.source })),
      ...cel.matchConditions.map((v) => ({ what: "the precondition", text: v.expression, source: p.when?.source ?? p.source })),
      ...cel.validations.flatMap((v) => {
        const rule = p.rules.find((r) => r.name === v.rule);
        return [
          { what: `rule ${v.rule}`, text: v.expression, source: rule?.source ?? p.source },
          ...(v.messageExpression
            ? [{ what: `rule ${v.rule}'s message`, text: v.messageExpression, source: rule?.message.source ?? p.source }]
            : []),
        ];
      }),
    ];
    for (const e of all) {
      const size = [...e.text].length;
      if (size > MAX_CEL_EXPRESSION)
        return [
          issue(
            "unsupported_by_target",
            `${target}: ${e.what} is a CEL expression of ${size} characters, more than the API server compiles (${MAX_CEL_EXPRESSION}); shorten the lists it inlines (parameters included), or skip this target`,
            e.source,
          ),
        ];
    }
  }
  return [];
}

/**
 * A validation's `message` may not hold a line break (the API server refuses the policy), and a
 * `messageExpression` whose result holds one is dropped for the static message: a message with a
 * line break in its text, or in a parameter it shows, cannot be written for the CEL targets.
 */
function lineBreakIssues(p: Policy, target: string): Issue[] {
  const out: Issue[] = [];
  p.rules.forEach((r, i) => {
    const texts = r.message.parts.flatMap((part) =>
      part.kind === "text"
        ? [part.text]
        : part.value.kind === "param"
          ? p.instances.map((i) => String(paramValue(i.values, (part.value as { path: readonly string[] }).path) ?? ""))
          : [],
    );
    if (texts.some((t) => /[\r\n\u0085\u2028\u2029]/.test(t)))
      out.push(
        issue(
          "unsupported_by_target",
          `${target}: rule ${r.name}'s message holds a line break, which the API server refuses in a validation's message; write it on one line, or skip this target`,
          r.message.source,
          ["rules", i, "message"],
        ),
      );
  });
  return out;
}

/**
 * A ValidatingAdmissionPolicy cannot read other objects (its CEL sees the request, its params and
 * the namespace): a policy that looks objects up is refused for it, never emitted weaker.
 */
function lookupIssues(p: Policy, target: "kyverno" | "kubernetes"): Issue[] {
  if (target !== "kubernetes") return [];
  const seen = new Set<string>();
  return lookupsIn(p).flatMap((l) => {
    const at = `${l.source.file}:${l.source.line}:${l.source.column}`;
    if (seen.has(at)) return [];
    seen.add(at);
    return [
      issue(
        "unsupported_by_target",
        `kubernetes: a ValidatingAdmissionPolicy cannot read other objects of the cluster, and this policy looks up ${l.target.kind} objects; add skip: { kubernetes: "…" } (Kyverno and Gatekeeper can read them)`,
        l.source,
      ),
    ];
  });
}

/** Kyverno's legacy ClusterPolicy `validate.cel` has no resource library: a policy that looks objects up is refused for that format. */
export function legacyKyvernoIssues(p: Policy): Issue[] {
  const first = lookupsIn(p)[0];
  if (!first || !p.targets.kyverno.enabled) return [];
  return [
    issue(
      "unsupported_by_target",
      `kyverno (legacy ClusterPolicy): validate.cel has no resource library, and this policy looks up ${first.target.kind} objects; build the ValidatingPolicy format (the default), or skip kyverno`,
      first.source,
    ),
  ];
}
