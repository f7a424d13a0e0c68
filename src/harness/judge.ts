/**
 * Judging a policyc case: each engine's verdict against the case's expectation, and the engines
 * against each other. A case fails when an engine's answer differs from the expectation, and also
 * when the engines disagree.
 */
import { messagesOf, type Verdict } from "../engines/index.js";
import type { TestCase } from "../sdk/index.js";
import type { EngineAnswer } from "./policyc-engines.js";
import { caseSource, type PolicycCase, type ResolvedRequest } from "./policyc-cases.js";
import type { EngineName, ResultRow, RowCause } from "./report.js";

/** The verdict as the JSON report's `actual` names it: allow, deny, none (did not apply) or error. */
export const actualOf = (v: Verdict): "allow" | "deny" | "none" | "error" => (v.kind === "skip" ? "none" : v.kind);

/** Whether a verdict meets the case's expectation; what differs when it does not. */
export function judge(t: Pick<TestCase, "expect" | "message" | "violations">, v: Verdict): string | undefined {
  const expected = t.expect === "skip" ? "none" : t.expect;
  const actual = actualOf(v);
  if (actual !== expected) {
    if (t.expect === "skip") return "the policy applied; the case expects it not to (exempt, or not matched)";
    return v.kind === "skip" ? `the policy did not apply (${v.cause.detail})` : `expected ${t.expect}, got ${actual}`;
  }
  if (v.kind === "deny") {
    const messages = messagesOf(v);
    if (t.message !== undefined && !messages.some((m) => m.includes(t.message!)))
      return `no violation message contains ${JSON.stringify(t.message)}`;
    if (t.violations !== undefined && v.violations.length !== t.violations)
      return `expected ${t.violations} violation(s), got ${v.violations.length}`;
  }
  return undefined;
}

/** The rows of one request of a case, one per engine; whether the engines disagreed. */
export function judgeRequest(
  c: PolicycCase,
  r: ResolvedRequest,
  answers: readonly EngineAnswer[],
): { rows: ResultRow[]; disagreed: boolean } {
  const said: Partial<Record<EngineName, string>> = {};
  for (const a of answers) if ("verdict" in a) said[a.engine] = actualOf(a.verdict);
  const distinct = new Set(answers.flatMap((a) => ("verdict" in a && a.verdict.kind !== "error" ? [a.verdict.kind] : [])));
  const disagreed = distinct.size > 1;
  const rows = answers.map((a): ResultRow => {
    const base = {
      policy: c.policy.policy.name,
      case: c.name,
      resource: r.resource,
      engine: a.engine,
      expected: c.test.expect,
      source: caseSource(c).file,
      location: caseSource(c).source,
      ...(r.location ? { resourceLocation: r.location } : {}),
    };
    if ("optedOut" in a)
      return { ...base, rule: "", actual: "none", status: "skip", messages: [], cause: { kind: "opted_out", detail: a.optedOut } };
    const v = a.verdict;
    const mismatch = v.kind === "error" ? undefined : judge(c.test, v);
    const cause: RowCause | undefined =
      v.kind === "error"
        ? { kind: "error", code: v.cause.code, detail: v.cause.detail }
        : disagreed
          ? { kind: "disagreement", verdicts: said, ...(mismatch ? { mismatch } : {}) }
          : mismatch
            ? { kind: "mismatch", detail: mismatch }
            : undefined;
    const rules = v.kind === "deny" ? [...new Set(v.violations.flatMap((x) => (x.rule ? [x.rule] : [])))] : [];
    return {
      ...base,
      rule: rules.join(","),
      actual: actualOf(v),
      status: v.kind === "error" ? "error" : cause ? "fail" : "pass",
      messages: messagesOf(v),
      ...(cause ? { cause } : {}),
      ...(v.kind === "deny" ? { enforcement: v.actions.join(",") } : {}),
    };
  });
  return { rows, disagreed };
}
