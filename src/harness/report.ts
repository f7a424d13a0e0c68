/** The one report shape every suite produces (policyc cases, gator suites, Kyverno CLI suites). */
import { ENGINE_NAMES, type EngineName, type ErrorCode, type SkipCode } from "../engines/index.js";
import type { Issue, SourceLocation } from "../ir/index.js";

export { ENGINE_NAMES, type EngineName };

/** `warn`: a finding that does not block (an audit or warn action, in `apply`), unless `--fail-on` says so. */
export type RowStatus = "pass" | "fail" | "error" | "skip" | "warn";

/** Why a row is not a plain pass: typed, so reporters never read prose. */
export type RowCause =
  /** The engine's answer is not what the case expects (verdict, message or count). */
  | { readonly kind: "mismatch"; readonly detail: string }
  /** Engines gave different verdicts for the same request. */
  | { readonly kind: "disagreement"; readonly verdicts: Readonly<Partial<Record<EngineName, string>>>; readonly mismatch?: string }
  /** The row was not evaluated: the policy opts out of this engine's target. */
  | { readonly kind: "opted_out"; readonly detail: string }
  /** The engine could not decide. */
  | { readonly kind: "error"; readonly code: ErrorCode; readonly detail: string }
  /** The engine said the policy does not apply (reported on failing rows, for context). */
  | { readonly kind: "skipped"; readonly code: SkipCode; readonly detail: string };

export interface ResultRow {
  readonly policy: string;
  readonly rule: string;
  readonly case: string;
  readonly resource: string;
  readonly engine: EngineName;
  /** What the case expects: allow|deny|skip for policyc cases, the assertion for suites. */
  readonly expected: string;
  /** What the engine said: allow|deny|error|none, or a violation count for gator cases. Never a copy of expected. */
  readonly actual: string | number;
  readonly status: RowStatus;
  readonly messages: readonly string[];
  readonly cause?: RowCause;
  /** Gatekeeper enforcementAction / VAP validationActions / Kyverno validationActions of the deny. */
  readonly enforcement?: string;
  /** The file the case is defined in. */
  readonly source?: string;
  /** Where the case is defined, and where the resource document starts. */
  readonly location?: SourceLocation;
  readonly resourceLocation?: SourceLocation;
  /** (`apply`) The field of the resource a deny is about (`spec.containers[1].image`), and where it is in the file. */
  readonly field?: string;
  readonly fieldLocation?: SourceLocation;
  /** The object the row is about (`apply`): what a PolicyReport result references. */
  readonly subject?: { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly namespace?: string };
  /** How long the row's evaluation took (JUnit's `time`). */
  readonly durationMs?: number;
  /** Where inside the definePolicy (or defineException) call the case is written (`tests[3]`), to locate it. */
  readonly casePath?: readonly (string | number)[];
}

/** A row's cause as one line, for people (the JSON `reason` field and the pretty reporter). */
export function formatCause(c: RowCause): string {
  switch (c.kind) {
    case "mismatch":
    case "opted_out":
      return c.detail;
    case "disagreement": {
      const said = Object.entries(c.verdicts).map(([e, v]) => `${e}=${v}`);
      return `engines disagree: ${said.join(" ")}${c.mismatch ? `; ${c.mismatch}` : ""}`;
    }
    case "error":
      return c.code === "evaluation_error" ? `evaluation error: ${c.detail}` : c.detail;
    case "skipped":
      return c.detail;
  }
}

export interface Summary {
  readonly policies: number;
  readonly cases: number;
  readonly evaluations: number;
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly skipped: number;
  /** Findings of audit and warn actions (`apply`). */
  readonly warnings: number;
  readonly disagreements: number;
  readonly durationMs: number;
  /** Set when the run was stopped before it finished (a signal): why, and how far it got. */
  readonly incomplete?: string;
}

/** What reporters say about a policy (SARIF rules, PolicyReport categories). */
export interface PolicyInfo {
  readonly title?: string;
  readonly description?: string;
  readonly category?: string;
  readonly severity?: string;
}

/** What a TypeScript policy says of itself, for reporters (`test` and `apply` alike). */
export const policyInfoOf = (p: { title?: string; description?: string; category?: string; severity?: string }): PolicyInfo => ({
  ...(p.title ? { title: p.title } : {}),
  ...(p.description ? { description: p.description } : {}),
  ...(p.category ? { category: p.category } : {}),
  ...(p.severity ? { severity: p.severity } : {}),
});

export interface Report {
  readonly summary: Summary;
  readonly results: readonly ResultRow[];
  /** Policies by name, for reporters that describe them. */
  readonly policies?: Readonly<Record<string, PolicyInfo>>;
  /** Remarks for people (engines not available, compiler used, cache use); not part of the JSON shape. */
  readonly notes: readonly string[];
}

export function summarize(rows: readonly ResultRow[], disagreements: number, durationMs: number): Summary {
  const cases = new Set(rows.map((r) => `${r.source ?? ""}\0${r.policy}\0${r.case}`));
  return {
    policies: new Set(rows.map((r) => r.policy)).size,
    cases: cases.size,
    evaluations: rows.length,
    passed: rows.filter((r) => r.status === "pass").length,
    failed: rows.filter((r) => r.status === "fail").length,
    errors: rows.filter((r) => r.status === "error").length,
    skipped: rows.filter((r) => r.status === "skip").length,
    warnings: rows.filter((r) => r.status === "warn").length,
    disagreements,
    durationMs: Math.round(durationMs),
  };
}

/**
 * How a run (`test`, `apply`) ended: it ran, with its report and what else `Ran` says, or it
 * stopped before reporting: bad input (exit 2) or policyc's own bug (exit 3).
 */
export type RunOutcome<Ran extends object> =
  | ({ readonly status: "ran"; readonly report: Report } & Ran)
  | { readonly status: "invalid"; readonly errors: readonly Issue[] }
  | { readonly status: "internal"; readonly errors: readonly Issue[] };

/** A run that stopped before reporting. */
export type Stopped = Exclude<RunOutcome<object>, { status: "ran" }>;

/**
 * One finding: what one policy says of one resource of one case (or one assertion of a suite),
 * the engines that evaluated it folded into one. Every reporter but the JSON one (whose public
 * shape is a row per engine) reports findings, so a finding is reported once, not once per engine.
 */
export interface Finding {
  /** The rows folded, one per engine, in report order. */
  readonly rows: readonly ResultRow[];
  /** The first row: policy, rule, case, resource, expected, locations, subject. */
  readonly first: ResultRow;
  /** The worst status of its rows: error, then fail, warn, skip, pass. */
  readonly status: RowStatus;
  readonly engines: readonly EngineName[];
  /** Every distinct violation message any engine reported, in order. */
  readonly messages: readonly string[];
  /** Every distinct cause, as one line each. */
  readonly reasons: readonly string[];
  /** The engines' answers: one value when they agree (`deny`), else each engine's (`kyverno=deny reference=allow`). */
  readonly actual: string;
  /** The time its evaluations took, all engines together. */
  readonly durationMs: number;
}

const SEVERITY_ORDER: readonly RowStatus[] = ["error", "fail", "warn", "skip", "pass"];

/** Rows folded into findings, in the rows' order. */
export function findingsOf(rows: readonly ResultRow[]): Finding[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = [r.source ?? "", r.policy, r.case, r.resource, r.expected, r.resourceLocation?.line ?? ""].join("\0");
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const distinct = (xs: readonly string[]) => [...new Set(xs)];
    const answers = distinct(group.map((r) => String(r.actual)));
    return {
      rows: group,
      first: group[0]!,
      status: SEVERITY_ORDER.find((st) => group.some((r) => r.status === st)) ?? "pass",
      engines: group.map((r) => r.engine),
      messages: distinct(group.flatMap((r) => r.messages)),
      reasons: distinct(group.flatMap((r) => (r.cause ? [formatCause(r.cause)] : []))),
      actual: answers.length === 1 ? answers[0]! : group.map((r) => `${r.engine}=${r.actual}`).join(" "),
      durationMs: group.reduce((n, r) => n + (r.durationMs ?? 0), 0),
    };
  });
}
