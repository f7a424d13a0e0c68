/**
 * Differential check of one fuzz case: the reference IR evaluator, the Gatekeeper output on OPA
 * Wasm and the ValidatingPolicy / VAP outputs on the CEL engine must give the same verdict on
 * every fixture. Rego is compiled through the content-hash cache, so a batch can be compiled in
 * one compiler run first (warm) and each case then only loads its module.
 */
import { compilePolicy, targetIssues, toGatekeeperReview } from "../../src/backends/index.js";
import type { CompiledPolicy } from "../../src/build/index.js";
import type { CelRuntime } from "../../src/engines/cel/index.js";
import { readTemplate, templateUnit } from "../../src/engines/gatekeeper/index.js";
import { compileWithCache, type RegoCompiler } from "../../src/engines/opa/index.js";
import type { Verdict } from "../../src/engines/verdict/index.js";
import { actualOf, compareAnswers, composePolicycEngines, type EngineAnswer, type PolicycEngines } from "../../src/harness/index.js";
import { lowerPolicy, printPolicy, readsCluster, TARGET_NAMES, type Policy } from "../../src/ir/index.js";
import type { KubeObject } from "../../src/kube/index.js";
import { NAMESPACES, type FuzzCase } from "./generate.js";

export interface FuzzContext {
  readonly compiler: RegoCompiler;
  readonly cacheDir: string;
  readonly runtime: CelRuntime;
  /** Agreed verdicts seen (allow / deny / none / skipped), to show what the run exercised. */
  readonly verdicts?: Record<string, number>;
}

export interface Disagreement {
  readonly policy: string;
  readonly request: unknown;
  readonly verdicts: Readonly<Record<string, string>>;
}

/**
 * The case's policy lowered and compiled for every target. A target that cannot express the
 * policy faithfully (`policyc build` would stop with unsupported_by_target) is opted out, as a
 * user would with `skip`, and compared no further.
 */
export function compileCase(p: Policy): CompiledPolicy {
  const lowered = lowerPolicy(p);
  if (!lowered.ok) throw new Error(`the generator made an invalid policy: ${JSON.stringify(lowered.issues)}`);
  const targets = { ...lowered.value.targets };
  for (const t of TARGET_NAMES) {
    const unsupported = targetIssues(lowered.value, [t]);
    if (unsupported.length) targets[t] = { enabled: false, reason: unsupported[0]!.message, source: lowered.value.source };
  }
  const policy = { ...lowered.value, targets };
  return { file: "fuzz.ts", policy, tests: [], exceptionTests: [], outputs: compilePolicy(policy, TARGET_NAMES) };
}

/** Compiles every case's Rego in one compiler run, filling the cache. */
export async function warm(cases: readonly FuzzCase[], ctx: FuzzContext): Promise<void> {
  const units = cases.flatMap((c) => {
    const compiled = compileCase(c.policy);
    const output = compiled.outputs.find((o) => o.target === "gatekeeper");
    if (!output) return [];
    const template = output.documents.find((d) => d.kind === "ConstraintTemplate")!;
    const read = readTemplate(template as unknown as KubeObject);
    if (!read.ok) throw new Error(read.problem.message);
    return [templateUnit(read.template, toGatekeeperReview(compiled.policy))];
  });
  for (let i = 0; i < units.length; i += 250) await compileWithCache(ctx.compiler, units.slice(i, i + 250), ctx.cacheDir);
}

const say = (a: EngineAnswer) =>
  "optedOut" in a ? "skipped" : a.verdict.kind === "error" ? `error (${a.verdict.cause.detail})` : actualOf(a.verdict);
const detail = (a: EngineAnswer) => {
  if ("optedOut" in a || a.verdict.kind !== "deny") return say(a);
  const v = a.verdict as Extract<Verdict, { kind: "deny" }>;
  return `deny ${JSON.stringify(v.violations.map((x) => x.rule ?? x.message))}`;
};

export async function check(c: FuzzCase, ctx: FuzzContext): Promise<Disagreement | undefined> {
  const compiled = compileCase(c.policy);
  const prepared = await composePolicycEngines([compiled], ["kyverno", "kubernetes", "gatekeeper", "reference"], {
    runtimes: { rego: ctx.compiler, cacheDir: ctx.cacheDir, cel: ctx.runtime },
  });
  try {
    if (prepared.internal.length) {
      return {
        policy: printPolicy(compiled.policy),
        request: null,
        verdicts: { compile: prepared.internal.map((i) => i.message).join("; ") },
      };
    }
    return compare(c, compiled, prepared.engines, ctx.verdicts);
  } finally {
    prepared.engines.release();
  }
}

const namespaces = Object.fromEntries(
  Object.entries(NAMESPACES).map(([name, labels]) => [name, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }]),
);

function compare(c: FuzzCase, compiled: CompiledPolicy, engines: PolicycEngines, stats?: Record<string, number>): Disagreement | undefined {
  for (const instance of compiled.policy.instances) {
    for (const request of c.requests) {
      const req = { ...request, cluster: c.cluster?.length ? { namespaces, objects: c.cluster } : { namespaces, objects: [] } };
      // Engines of targets the policy opted out of answer nothing to compare.
      const answers = engines.evaluate(compiled, instance, req);
      const results = answers.filter((a) => !("optedOut" in a)).map((a) => [a.engine, a] as const);
      if (stats && results.length < answers.length)
        stats["(of which compared without a target the policy opts out of)"] =
          (stats["(of which compared without a target the policy opts out of)"] ?? 0) + 1;
      const said = new Set(results.map(([, v]) => say(v)));
      if (stats && said.size === 1) stats[[...said][0]!] = (stats[[...said][0]!] ?? 0) + 1;
      if (stats && said.size === 1 && readsCluster(compiled.policy))
        stats[`(of which read the cluster: ${[...said][0]!})`] = (stats[`(of which read the cluster: ${[...said][0]!})`] ?? 0) + 1;
      const referee = answers.find((a) => a.engine === "reference");
      if (
        stats &&
        said.size === 1 &&
        referee &&
        "verdict" in referee &&
        referee.verdict.kind === "skip" &&
        referee.verdict.cause.code === "exception"
      )
        stats["(of which exempted by an exception)"] = (stats["(of which exempted by an exception)"] ?? 0) + 1;
      // Verdicts that agree must also say the same: every message an engine reports is the referee's.
      const messages = said.size === 1 ? compareAnswers(answers).messages : undefined;
      if (messages && stats) stats["(message disagreements)"] = (stats["(message disagreements)"] ?? 0) + 1;
      if (said.size > 1 || messages) {
        return {
          policy: printPolicy(compiled.policy),
          request,
          verdicts: {
            ...Object.fromEntries(results.map(([n, v]) => [n, detail(v)])),
            ...(messages ? { messages } : {}),
            ...(instance.name ? { instance: instance.name } : {}),
          },
        };
      }
    }
  }
  return undefined;
}
