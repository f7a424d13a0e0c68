/**
 * Evaluating policyc's cases: the engines composed for the cases' policies, then each case's
 * requests judged, in order. The same code runs on the main thread and, for large runs, on a
 * second thread with half of the policies (case-thread.ts).
 */
import type { CompiledPolicy } from "../build/index.js";
import type { EngineName } from "../engines/index.js";
import type { Instance, Issue } from "../ir/index.js";
import { actualOf, composePolicycEngines, type ComposeContext, type EngineAnswer, type PolicycEngines } from "./compose.js";
import { judgeRequest } from "./judge.js";
import { resolveCase, type PolicycCase, type ResolvedRequest } from "./policyc-cases.js";
import type { ResultRow } from "./report.js";

/** One case's result: its rows, whether the engines disagreed and what to warn of, or the bad input behind it. */
export type CaseOutcome =
  { readonly rows: ResultRow[]; readonly disagreed: number; readonly warnings: readonly string[] } | { readonly issue: Issue };

export interface CaseEvaluation {
  /** One per case, in the cases' order; empty when `internal` is not. */
  readonly outcomes: CaseOutcome[];
  /** Documents an engine rejected (policyc's bug). */
  readonly internal: Issue[];
  readonly stats?: { readonly compiled: number; readonly cached: number };
}

/** The engines to run (`names`) and the context they are composed in. */
export interface CaseEngines extends ComposeContext {
  readonly names: readonly EngineName[];
}

/**
 * What the policy's other instances say of the case's resource, when it is not what the instance
 * the case runs says: in a cluster all of them apply (a case runs one; `policyc apply` runs all).
 * Read on the reference engine alone.
 */
function otherInstances(
  c: PolicycCase,
  instance: Instance,
  r: ResolvedRequest,
  answers: readonly EngineAnswer[],
  engines: PolicycEngines,
): string[] {
  const instances = c.policy.policy.instances;
  const mine = answers.find((a) => a.engine === "reference");
  if (instances.length < 2 || !mine || !("verdict" in mine)) return [];
  return instances.flatMap((other) => {
    if (other === instance) return [];
    const theirs = engines.evaluate(c.policy, other, r.request, {}, ["reference"])[0];
    if (!theirs || !("verdict" in theirs) || actualOf(theirs.verdict) === actualOf(mine.verdict)) return [];
    const name = (i: Instance) => i.name ?? "(the first)";
    return [
      `${c.id} [${r.resource}]: instance ${name(instance)} says ${actualOf(mine.verdict)}, instance ${name(other)} says ${actualOf(theirs.verdict)}; in a cluster both apply (name the instance in the case, or add a case for each)`,
    ];
  });
}

/** How many cases run between two turns of the event loop (a second thread's messages, progress). */
const YIELD_EVERY = 64;

/** The policies the cases belong to, each once, in the cases' order. */
function policiesOf(cases: readonly PolicycCase[]): CompiledPolicy[] {
  return [...new Set(cases.map((c) => c.policy))];
}

export async function evaluateCases(
  cases: readonly PolicycCase[],
  engines: CaseEngines,
  cwd: string,
  on: { readonly ready?: () => void; readonly case?: () => void } = {},
): Promise<CaseEvaluation> {
  const composed = await composePolicycEngines(policiesOf(cases), engines.names, engines);
  const base = composed.stats ? { stats: composed.stats } : {};
  if (composed.internal.length) return { outcomes: [], internal: composed.internal, ...base };
  on.ready?.();
  const outcomes: CaseOutcome[] = [];
  for (const [i, c] of cases.entries()) {
    const resolved = resolveCase(c, cwd);
    if (!resolved.ok) outcomes.push({ issue: resolved.issue });
    else {
      const rows: ResultRow[] = [];
      const warnings: string[] = [];
      let disagreed = 0;
      for (const r of resolved.requests) {
        const answers = composed.engines.evaluate(c.policy, resolved.instance, r.request);
        const judged = judgeRequest(c, r, answers);
        rows.push(...judged.rows);
        if (judged.disagreed) disagreed++;
        warnings.push(...otherInstances(c, resolved.instance, r, answers, composed.engines));
      }
      outcomes.push({ rows, disagreed, warnings });
    }
    on.case?.();
    if ((i + 1) % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { outcomes, internal: [], ...base };
}
