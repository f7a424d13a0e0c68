/**
 * Report rows from verdicts: one function every command builds its rows with, so a row says the
 * same thing (actual, messages, rule, enforcement, error cause) whichever command made it.
 */
import { messagesOf, type EngineName, type Verdict } from "../engines/index.js";
import type { SourceLocation } from "../ir/index.js";
import { locatePaths } from "../load/index.js";
import { actualOf } from "./compose.js";
import type { ResultRow, RowCause, RowStatus } from "./report.js";

/** What a row is about, before any engine answered: the policy, the case, the resource, where they are. */
export interface RowBase {
  readonly policy: string;
  readonly case: string;
  readonly resource: string;
  readonly engine: EngineName;
  readonly expected: string;
  readonly source?: string;
  readonly location?: SourceLocation;
  readonly resourceLocation?: SourceLocation;
  readonly subject?: ResultRow["subject"];
  readonly durationMs?: number;
  readonly casePath?: readonly (string | number)[];
}

export interface RowJudgement {
  readonly status: RowStatus;
  /** Why the row is not a plain pass; an error verdict's own cause when omitted. */
  readonly cause?: RowCause;
  /** Default: the rules the deny's violations name. */
  readonly rule?: string;
  /** Default: the verdict as reports name it (allow, deny, none, error). */
  readonly actual?: string | number;
  /** Default: every violation's message. */
  readonly messages?: readonly string[];
  /** Default: the deny's enforcement actions. */
  readonly enforcement?: string;
}

/** The rules a deny's violations name, each once. */
export const rulesOf = (v: Verdict): string =>
  v.kind === "deny" ? [...new Set(v.violations.flatMap((x) => (x.rule ? [x.rule] : [])))].join(",") : "";

/** An error verdict's cause as a row cause. */
export const errorCause = (v: Verdict): RowCause | undefined =>
  v.kind === "error" ? { kind: "error", code: v.cause.code, detail: v.cause.detail } : undefined;

export function verdictRow(base: RowBase, v: Verdict, j: RowJudgement): ResultRow {
  const cause = j.cause ?? errorCause(v);
  const enforcement = j.enforcement ?? (v.kind === "deny" ? v.actions.join(",") : undefined);
  return {
    ...base,
    rule: j.rule ?? rulesOf(v),
    actual: j.actual ?? actualOf(v),
    status: j.status,
    messages: j.messages ?? messagesOf(v),
    ...(cause ? { cause } : {}),
    ...(enforcement !== undefined ? { enforcement } : {}),
  };
}

/**
 * Rows of policyc's cases located at the case itself (its element of `tests`) rather than at the
 * definePolicy call: a case's file, line and column, as JUnit, SARIF and annotations point people.
 */
export async function locateCaseRows(rows: readonly ResultRow[], cwd: string): Promise<ResultRow[]> {
  const keys = [...new Set(rows.flatMap((r) => (r.casePath && r.location ? [JSON.stringify([r.location, r.casePath])] : [])))];
  if (keys.length === 0) return [...rows];
  const requests = keys.map((k) => JSON.parse(k) as [SourceLocation, (string | number)[]]).map(([source, path]) => ({ source, path }));
  const located = await locatePaths(requests, cwd);
  const at = new Map(keys.map((k, i) => [k, located[i]]));
  return rows.map((r) => {
    const found = r.casePath && r.location ? at.get(JSON.stringify([r.location, r.casePath])) : undefined;
    return found ? { ...r, location: found } : r;
  });
}
