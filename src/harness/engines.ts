/**
 * The engines a policyc test case runs on, behind one interface: each takes a compiled policy,
 * an instance and a request, and says allow, deny, none (does not apply) or error.
 */
import type { CompiledPolicy } from "../build/index.js";
import { instanceName, type Document } from "../backends/index.js";
import { GatekeeperEngine, formatTemplateProblem, readConstraint, readTemplate, type ConstraintSpec } from "../engines/gatekeeper/index.js";
import type { RegoCompiler } from "../engines/opa/compiler.js";
import { CelCompileError, CompiledVap, validatingPolicyAsVap, type CelRuntime } from "../engines/cel/index.js";
import { evaluateReference } from "../engines/reference/index.js";
import { subjectObject, type AdmissionRequest, type KubeObject } from "../engines/request.js";
import type { Instance, Issue } from "../ir/index.js";
import type { EngineName } from "./report.js";

export type Verdict = "allow" | "deny" | "none" | "error";

export interface EngineVerdict {
  readonly verdict: Verdict;
  readonly messages: readonly string[];
  /** Number of violations (Gatekeeper) or failed validations (CEL). */
  readonly violations?: number;
  /** Rules (or validations) that produced the deny. */
  readonly rules?: readonly string[];
  readonly enforcement?: string;
  /** Why the engine said none or error. */
  readonly reason?: string;
}

export interface PolicyEngine {
  readonly name: EngineName;
  /** Undefined when the policy opted out of this engine's target (the reason is returned instead). */
  evaluate(policy: CompiledPolicy, instance: Instance, req: AdmissionRequest): EngineVerdict | { readonly skipped: string };
}

/** The IR evaluator: policyc's own reading of the policy, independent of any backend. */
export const referenceEngine: PolicyEngine = {
  name: "reference",
  evaluate(policy, instance, req) {
    const object = subjectObject(req);
    const ns = object?.metadata?.namespace;
    const nsObject = ns ? req.cluster?.namespaces?.[ns] : undefined;
    const outcome = evaluateReference(policy.policy, instance, object, {
      operation: req.operation,
      namespaceLabels: { ...((nsObject?.metadata?.labels as Record<string, string> | undefined) ?? {}) },
    });
    if (outcome.verdict === "none") return { verdict: "none", messages: [], reason: outcome.reason };
    const failed = outcome.rules.filter((r) => r.status === "fail").map((r) => r.rule);
    if (outcome.verdict === "deny")
      return {
        verdict: "deny",
        messages: outcome.messages,
        violations: outcome.messages.length,
        rules: failed,
        enforcement: policy.policy.enforcement,
      };
    return { verdict: "allow", messages: [] };
  },
};

const targetSkip = (policy: CompiledPolicy, target: "gatekeeper" | "kyverno" | "kubernetes") => {
  const t = policy.policy.targets[target];
  return t.enabled ? undefined : { skipped: `the policy opts out of ${target}: ${t.reason}` };
};

/** policyc generated a document its engine rejects: policyc's bug (exit 3), naming the policy. */
function generatedCodeIssue(p: CompiledPolicy | undefined, target: string, detail: string): Issue {
  const language = target === "gatekeeper" ? "Rego" : "CEL";
  return {
    code: "generated_code_error",
    message: `policyc generated ${language} for ${target} that does not compile (a policyc bug; please report it): ${detail}`,
    severity: "error",
    ...(p?.policy.source ? { source: p.policy.source } : p ? { file: p.file } : {}),
    path: [],
  };
}

/** The Rego output on OPA Wasm: the generated ConstraintTemplate and the instance's Constraint. */
export class GatekeeperPolicyEngine implements PolicyEngine {
  readonly name = "gatekeeper" as const;
  private constructor(
    private readonly engine: GatekeeperEngine,
    private readonly constraints: ReadonlyMap<string, ConstraintSpec>,
  ) {}

  /** Compiles every policy's template in one compiler run; a compile failure here is policyc's bug. */
  static async prepare(policies: readonly CompiledPolicy[], compiler: RegoCompiler, cacheDir: string | undefined) {
    const templates = [];
    const constraints = new Map<string, ConstraintSpec>();
    for (const p of policies) {
      const out = p.outputs.find((o) => o.target === "gatekeeper");
      if (!out) continue;
      const [template, ...rest] = out.documents as readonly Document[];
      templates.push(readTemplate(template as KubeObject, p.file, true));
      for (const c of rest) {
        const spec = readConstraint(c as KubeObject);
        constraints.set(spec.name, spec);
      }
    }
    const { engine, errors } = await GatekeeperEngine.prepare(templates, compiler, cacheDir);
    const internal = errors.flatMap((e) => {
      const policy = policies.find((p) => p.file === e.template.source);
      return e.problems.map((p) => generatedCodeIssue(policy, "gatekeeper", formatTemplateProblem(e.template, p)));
    });
    return { engine: new GatekeeperPolicyEngine(engine, constraints), internal, stats: engine.stats };
  }

  evaluate(policy: CompiledPolicy, instance: Instance, req: AdmissionRequest): EngineVerdict | { skipped: string } {
    const skip = targetSkip(policy, "gatekeeper");
    if (skip) return skip;
    const constraint = this.constraints.get(instanceName(policy.policy.name, instance));
    if (!constraint) return { verdict: "error", messages: [], reason: `no Constraint for ${instanceName(policy.policy.name, instance)}` };
    const r = this.engine.review(constraint, req);
    switch (r.status) {
      case "not-matched":
      case "not-applicable":
        return { verdict: "none", messages: [], reason: r.reason };
      case "error":
        return { verdict: "error", messages: [], reason: r.error };
      case "evaluated": {
        if (r.violations.length === 0) return { verdict: "allow", messages: [] };
        const rules = [
          ...new Set(r.violations.map((v) => String((v.details as { rule?: unknown } | undefined)?.rule ?? "")).filter(Boolean)),
        ];
        return {
          verdict: "deny",
          messages: r.violations.map((v) => String(v.msg)),
          violations: r.violations.length,
          rules,
          enforcement: constraint.enforcementAction,
        };
      }
    }
  }
}

/**
 * The CEL outputs on the CEL engine: `kubernetes` evaluates the generated ValidatingAdmissionPolicy
 * with its binding, `kyverno` the generated ValidatingPolicy. Every expression is compiled once per
 * run; a compile error in generated CEL is policyc's bug.
 */
export class CelPolicyEngine implements PolicyEngine {
  private constructor(
    readonly name: "kubernetes" | "kyverno",
    private readonly compiled: ReadonlyMap<string, CompiledVap>,
  ) {}

  static prepare(
    name: "kubernetes" | "kyverno",
    policies: readonly CompiledPolicy[],
    runtime: CelRuntime,
  ): { engine: CelPolicyEngine; internal: Issue[] } {
    const compiled = new Map<string, CompiledVap>();
    const internal: Issue[] = [];
    for (const p of policies) {
      const out = p.outputs.find((o) => o.target === name);
      if (!out) continue;
      const docs = out.documents as unknown as KubeObject[];
      try {
        if (name === "kubernetes") {
          for (const vap of docs.filter((d) => d.kind === "ValidatingAdmissionPolicy")) {
            const bindings = docs.filter(
              (d) =>
                d.kind === "ValidatingAdmissionPolicyBinding" &&
                (d as { spec?: { policyName?: string } }).spec?.policyName === vap.metadata?.name,
            );
            compiled.set(String(vap.metadata?.name), CompiledVap.compile(runtime, vap, bindings));
          }
        } else {
          for (const vp of docs.filter((d) => d.kind === "ValidatingPolicy")) {
            const { policy, binding } = validatingPolicyAsVap(vp);
            compiled.set(String(vp.metadata?.name), CompiledVap.compile(runtime, policy, [binding], { kyverno: true }));
          }
        }
      } catch (error) {
        if (!(error instanceof CelCompileError)) throw error;
        internal.push(generatedCodeIssue(p, name, error.message));
      }
    }
    return { engine: new CelPolicyEngine(name, compiled), internal };
  }

  /** Frees the compiled policies in the CEL runtime (long runs such as the fuzzer). */
  release(): void {
    for (const vap of this.compiled.values()) vap.release();
  }

  evaluate(policy: CompiledPolicy, instance: Instance, req: AdmissionRequest): EngineVerdict | { skipped: string } {
    const skip = targetSkip(policy, this.name);
    if (skip) return skip;
    const vap = this.compiled.get(instanceName(policy.policy.name, instance));
    if (!vap) return { verdict: "error", messages: [], reason: `no ${this.name} policy for ${instanceName(policy.policy.name, instance)}` };
    const v = vap.evaluate(req);
    switch (v.verdict) {
      case "none":
      case "error":
        return { verdict: v.verdict, messages: [], reason: v.reason };
      case "allow":
        return { verdict: "allow", messages: [] };
      case "deny":
        return { verdict: "deny", messages: v.messages, violations: v.messages.length, enforcement: v.actions.join(",") };
    }
  }
}
