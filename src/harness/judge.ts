/**
 * Judging a policyc case: each engine's verdict against the case's expectation, and the engines
 * against each other (compose.ts's one rule). A case fails when an engine's answer differs from
 * the expectation, and also when the engines disagree.
 */
import { messagesOf, type Verdict } from "../engines/index.js";
import type { TestCase } from "../sdk/index.js";
import { actualOf, compareAnswers, type EngineAnswer } from "./compose.js";
import { caseSource, type PolicycCase, type ResolvedRequest } from "./policyc-cases.js";
import type { ResultRow, RowCause } from "./report.js";
import { verdictRow, type RowBase } from "./rows.js";

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
  const { disagreed, verdicts, messages } = compareAnswers(answers);
  const rows = answers.map((a): ResultRow => {
    const base: RowBase = {
      policy: c.policy.policy.name,
      case: c.name,
      resource: r.resource,
      engine: a.engine,
      expected: c.test.expect,
      source: caseSource(c).file,
      location: caseSource(c).source,
      casePath: ["tests", c.index],
      ...(r.location ? { resourceLocation: r.location } : {}),
    };
    if ("optedOut" in a)
      return { ...base, rule: "", actual: "none", status: "skip", messages: [], cause: { kind: "opted_out", detail: a.optedOut } };
    const v = a.verdict;
    const timed = { ...base, ...(a.ms !== undefined ? { durationMs: a.ms } : {}) };
    if (v.kind === "error") return verdictRow(timed, v, { status: "error" });
    const mismatch = judge(c.test, v) ?? messages;
    const cause: RowCause | undefined = disagreed
      ? { kind: "disagreement", verdicts, ...(mismatch ? { mismatch } : {}) }
      : mismatch
        ? { kind: "mismatch", detail: mismatch }
        : undefined;
    return verdictRow(timed, v, { status: cause ? "fail" : "pass", ...(cause ? { cause } : {}) });
  });
  return { rows, disagreed };
}
