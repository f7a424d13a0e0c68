/** The one report shape every suite produces (policyc cases, gator suites, Kyverno CLI suites). */

export type EngineName = "gatekeeper" | "kyverno" | "kubernetes" | "reference";
export const ENGINE_NAMES: readonly EngineName[] = ["kyverno", "kubernetes", "gatekeeper", "reference"];

export type RowStatus = "pass" | "fail" | "error" | "skip";

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
  /** Why the row failed or was skipped, when it is not plain from expected vs actual. */
  readonly reason?: string;
  /** Gatekeeper enforcementAction / VAP validationActions / Kyverno validationActions of the deny. */
  readonly enforcement?: string;
  /** Where the case is defined, for people. */
  readonly source?: string;
}

export interface Summary {
  readonly policies: number;
  readonly cases: number;
  readonly evaluations: number;
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly skipped: number;
  readonly disagreements: number;
  readonly durationMs: number;
}

export interface Report {
  readonly summary: Summary;
  readonly results: readonly ResultRow[];
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
    disagreements,
    durationMs: Math.round(durationMs),
  };
}
