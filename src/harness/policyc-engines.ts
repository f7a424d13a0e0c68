/**
 * The engines a policyc case runs on, composed from what the build emitted: each engine gets the
 * documents of its target (and the reference engine the lowered IR), prepared once per run. A
 * document an engine rejects is policyc's bug (`generated_code_error`, exit 3), naming the policy.
 */
import {
  GatekeeperEngine,
  KubernetesEngine,
  KyvernoEngine,
  ReferenceEngine,
  type CelRuntime,
  type CompileStats,
  type DocumentProblem,
  type GatekeeperDocuments,
  type RegoCompiler,
  type Verdict,
  skip,
} from "../engines/index.js";
import { toGatekeeperReview } from "../backends/index.js";
import type { CompiledPolicy } from "../build/index.js";
import { instanceName, isAdmissionOnly, type Instance, type Issue, type TargetName } from "../ir/index.js";
import type { AdmissionRequest, KubeObject } from "../kube/index.js";
import type { EngineName } from "./report.js";

/** One engine's answer for a case: its verdict, or the target the policy opted out of. */
export type EngineAnswer =
  { readonly engine: EngineName; readonly verdict: Verdict } | { readonly engine: EngineName; readonly optedOut: string };

export interface PolicycEngines {
  readonly names: readonly EngineName[];
  /**
   * Every engine's answer. `audit`: as background scans review existing objects (Gatekeeper's
   * audit: no operation, no user; Kyverno's background scan skips admission-only policies). The
   * request of an audit has no user (`userInfo` empty), as a background scan's has none.
   */
  evaluate(policy: CompiledPolicy, instance: Instance, req: AdmissionRequest, options?: { audit?: boolean }): EngineAnswer[];
  /** Frees compiled policies in the CEL runtime (long runs such as the fuzzer). */
  release(): void;
}

export interface PolicycEngineContext {
  /** Needed for `gatekeeper`. */
  readonly compiler?: RegoCompiler;
  readonly cacheDir?: string | undefined;
  /** Needed for `kyverno` and `kubernetes`. */
  readonly runtime?: CelRuntime;
  /**
   * Admission's clock: Kyverno leaves out PolicyExceptions whose `expiresAt` is before it. Unset,
   * they apply (Kyverno's CLI and background scans do not read expiresAt: kyverno#17473).
   */
  readonly now?: number;
}

/** The target whose documents an engine reads. */
const TARGET_OF: Record<Exclude<EngineName, "reference">, TargetName> = {
  gatekeeper: "gatekeeper",
  kyverno: "kyverno",
  kubernetes: "kubernetes",
};

/** A target's documents of every policy, with which policy each came from. */
function documentsOf(policies: readonly CompiledPolicy[], target: "gatekeeper" | "kyverno" | "kubernetes") {
  const documents: KubeObject[] = [];
  const owners: CompiledPolicy[] = [];
  for (const p of policies) {
    for (const out of p.outputs) {
      if (out.target !== target) continue;
      for (const d of out.documents) {
        documents.push(d as unknown as KubeObject);
        owners.push(p);
      }
    }
  }
  return { documents, owners };
}

/** policyc generated a document its engine rejects: policyc's bug (exit 3), naming the policy. */
function generatedCodeIssue(p: CompiledPolicy | undefined, engine: EngineName, problem: DocumentProblem): Issue {
  const language = engine === "gatekeeper" ? "Rego" : "CEL";
  const where = problem.field.length ? ` at ${problem.field.join(".")}` : "";
  return {
    code: "generated_code_error",
    message: `policyc generated ${language} for ${engine} that does not compile (a policyc bug; please report it)${where}: ${problem.message}`,
    severity: "error",
    ...(p ? { source: p.policy.source } : {}),
    path: [],
  };
}

/** Prepares the named engines for the policies; `internal` lists documents an engine rejected. */
export async function preparePolicycEngines(
  policies: readonly CompiledPolicy[],
  names: readonly EngineName[],
  context: PolicycEngineContext,
): Promise<{ engines: PolicycEngines; internal: Issue[]; stats?: CompileStats }> {
  const internal: Issue[] = [];
  const evaluators = new Map<EngineName, (name: string, req: AdmissionRequest, audit: boolean) => Verdict>();
  const releases: (() => void)[] = [];
  let stats: CompileStats | undefined;
  if (names.includes("gatekeeper") && context.compiler) {
    const { documents, owners } = documentsOf(policies, "gatekeeper");
    const set: GatekeeperDocuments = {
      id: "policyc",
      documents,
      reviews: policies.filter((p) => p.policy.targets.gatekeeper.enabled).map((p) => toGatekeeperReview(p.policy)),
    };
    const gk = await GatekeeperEngine.prepare([set], { compiler: context.compiler, cacheDir: context.cacheDir });
    internal.push(...gk.problems.map((p) => generatedCodeIssue(owners[p.document], "gatekeeper", p)));
    stats = gk.engine.stats;
    evaluators.set("gatekeeper", (name, req, audit) => gk.engine.evaluate("policyc", name, req, audit ? { audit } : {}));
  }
  if (names.includes("kubernetes") && context.runtime) {
    const { documents, owners } = documentsOf(policies, "kubernetes");
    const k = KubernetesEngine.prepare(documents, { runtime: context.runtime });
    internal.push(...k.problems.map((p) => generatedCodeIssue(owners[p.document], "kubernetes", p)));
    evaluators.set("kubernetes", (name, req) => k.engine.evaluate(name, req));
    releases.push(() => k.engine.release());
  }
  if (names.includes("kyverno") && context.runtime) {
    const { documents, owners } = documentsOf(policies, "kyverno");
    const k = KyvernoEngine.prepare(documents, { runtime: context.runtime, ...(context.now !== undefined ? { now: context.now } : {}) });
    internal.push(...k.problems.map((p) => generatedCodeIssue(owners[p.document], "kyverno", p)));
    evaluators.set("kyverno", (name, req) => k.engine.evaluate(name, req).verdict);
    releases.push(() => k.engine.release());
  }
  if (names.includes("reference")) {
    const r = ReferenceEngine.prepare(policies.map((p) => p.policy));
    evaluators.set("reference", (name, req) => r.evaluate(name, req));
  }
  const ready = names.filter((n) => evaluators.has(n));
  const engines: PolicycEngines = {
    names: ready,
    evaluate(policy, instance, req, options = {}) {
      const name = instanceName(policy.policy.name, instance);
      const audit = options.audit === true;
      return ready.map((engine): EngineAnswer => {
        if (engine !== "reference") {
          const setting = policy.policy.targets[TARGET_OF[engine]];
          if (!setting.enabled) return { engine, optedOut: `the policy opts out of ${TARGET_OF[engine]}: ${setting.reason}` };
        }
        if (audit && engine === "kyverno" && isAdmissionOnly(policy.policy))
          return {
            engine,
            verdict: skip("not_evaluated", "Kyverno's background scan skips admission-only policies (background disabled)"),
          };
        return { engine, verdict: evaluators.get(engine)!(name, req, audit) };
      });
    },
    release() {
      for (const r of releases) r();
    },
  };
  return { engines, internal, ...(stats ? { stats } : {}) };
}
