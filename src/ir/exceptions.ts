import { issue, type Issue } from "./issue.js";
import type { Exception, Policy } from "./types.js";

/**
 * What an exception cannot mean for a policy it names, whatever the target: kinds the policy does
 * not match (the exception would exempt nothing of them), and a namespace criterion on a policy
 * over Namespace objects (Kubernetes and Gatekeeper match a Namespace by its own name, Kyverno by
 * the request's empty namespace: the targets would disagree).
 */
export function exceptionIssues(p: Policy, ex: Exception): Issue[] {
  const out: Issue[] = [];
  ex.match.kinds?.forEach((k, i) => {
    if (!p.match.kinds.some((m) => m.group === k.group && m.kind === k.kind)) {
      const kinds = p.match.kinds.map((m) => m.kind).join(", ");
      out.push(
        issue(
          "invalid_exception",
          `policy "${p.name}" does not match ${k.group ? `${k.group}/` : ""}${k.kind} (it matches ${kinds}): the exception would exempt nothing`,
          ex.source,
          ["match", "kinds", i],
        ),
      );
    }
  });
  const overNamespaces = p.match.kinds.some((k) => k.group === "" && k.kind === "Namespace");
  if (overNamespaces && (ex.match.namespaces || ex.match.namespaceSelector))
    out.push(
      issue(
        "invalid_exception",
        `policy "${p.name}" matches Namespace objects, which are in no namespace: Kubernetes and Gatekeeper would match a Namespace by its own name and labels, Kyverno would not; exempt Namespaces by names or labels instead`,
        ex.source,
        ["match", ex.match.namespaces ? "namespaces" : "namespaceLabels"],
      ),
    );
  if (ex.rules) {
    ex.rules.forEach((r, i) => {
      if (!p.rules.some((x) => covers(r, x.name)))
        out.push(
          issue(
            "invalid_exception",
            `policy "${p.name}" has no rule "${r}" (its rules: ${p.rules.map((x) => x.name).join(", ")})`,
            ex.source,
            ["rules", i],
          ),
        );
    });
  }
  return out;
}

/** Whether the rule named `r` in a policy is `name`, or a conjunct rule `r-2`, `r-3`… it was split into. */
const covers = (r: string, name: string): boolean => name === r || (name.startsWith(`${r}-`) && /^\d+$/.test(name.slice(r.length + 1)));

/** Whether the exception exempts only some of the policy's rules. */
export function exemptsSomeRules(p: Policy, ex: Exception): boolean {
  const rules = ex.rules;
  return rules !== undefined && !p.rules.every((x) => rules.some((r) => covers(r, x.name)));
}

/** The day after which an exception has expired, as a UTC timestamp (its `expires` day included). */
export function expiryOf(ex: Exception): number | undefined {
  return ex.expires ? Date.parse(`${ex.expires}T23:59:59Z`) : undefined;
}
