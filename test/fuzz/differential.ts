/**
 * Differential check of one fuzz case: the reference IR evaluator, the Gatekeeper output on OPA
 * Wasm and the ValidatingPolicy / VAP outputs on the CEL engine must give the same verdict on
 * every fixture. Rego is compiled through the content-hash cache, so a batch can be compiled in
 * one compiler run first (warm) and each case then only loads its module.
 */
import { compilePolicy } from "../../src/backends/index.js";
import type { CompiledPolicy } from "../../src/build/index.js";
import type { CelRuntime } from "../../src/engines/cel/index.js";
import { compileWithCache } from "../../src/engines/opa/cache.js";
import type { RegoCompiler } from "../../src/engines/opa/compiler.js";
import { readTemplate, templateUnit } from "../../src/engines/gatekeeper/index.js";
import type { KubeObject } from "../../src/engines/request.js";
import {
  CelPolicyEngine,
  GatekeeperPolicyEngine,
  referenceEngine,
  type EngineVerdict,
  type PolicyEngine,
} from "../../src/harness/engines.js";
import { lowerPolicy, printPolicy, TARGET_NAMES, type Policy } from "../../src/ir/index.js";
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
  readonly fixture: unknown;
  readonly verdicts: Readonly<Record<string, string>>;
}

export function compileCase(p: Policy): CompiledPolicy {
  const lowered = lowerPolicy(p);
  if (!lowered.ok) throw new Error(`the generator made an invalid policy: ${JSON.stringify(lowered.issues)}`);
  return { file: "fuzz.ts", policy: lowered.value, tests: [], outputs: compilePolicy(lowered.value, TARGET_NAMES) };
}

/** Compiles every case's Rego in one compiler run, filling the cache. */
export async function warm(cases: readonly FuzzCase[], ctx: FuzzContext): Promise<void> {
  const units = cases.map((c) => {
    const out = compileCase(c.policy).outputs.find((o) => o.target === "gatekeeper")!;
    return templateUnit(readTemplate(out.documents[0] as unknown as KubeObject, "fuzz.ts", true));
  });
  for (let i = 0; i < units.length; i += 250) await compileWithCache(ctx.compiler, units.slice(i, i + 250), ctx.cacheDir);
}

const say = (v: EngineVerdict | { skipped: string }) =>
  "skipped" in v ? "skipped" : v.verdict === "error" ? `error (${v.reason})` : v.verdict;
const detail = (v: EngineVerdict | { skipped: string }) =>
  "skipped" in v || v.verdict !== "deny" ? say(v) : `deny ${JSON.stringify(v.rules ?? v.messages)}`;

export async function check(c: FuzzCase, ctx: FuzzContext): Promise<Disagreement | undefined> {
  const compiled = compileCase(c.policy);
  const gk = await GatekeeperPolicyEngine.prepare([compiled], ctx.compiler, ctx.cacheDir);
  if (gk.internal.length)
    return {
      policy: printPolicy(compiled.policy),
      fixture: null,
      verdicts: { gatekeeper: `compile error: ${gk.internal.map((i) => i.message).join("; ")}` },
    };
  const engines: PolicyEngine[] = [gk.engine, referenceEngine];
  const cels: CelPolicyEngine[] = [];
  try {
    for (const name of ["kyverno", "kubernetes"] as const) {
      const cel = CelPolicyEngine.prepare(name, [compiled], ctx.runtime);
      cels.push(cel.engine);
      if (cel.internal.length)
        return {
          policy: printPolicy(compiled.policy),
          fixture: null,
          verdicts: { [name]: `compile error: ${cel.internal.map((i) => i.message).join("; ")}` },
        };
      engines.push(cel.engine);
    }
    return compare(c, compiled, engines, ctx.verdicts);
  } finally {
    for (const cel of cels) cel.release();
  }
}

const namespaces = Object.fromEntries(
  Object.entries(NAMESPACES).map(([name, labels]) => [name, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }]),
);

function compare(
  c: FuzzCase,
  compiled: CompiledPolicy,
  engines: readonly PolicyEngine[],
  stats?: Record<string, number>,
): Disagreement | undefined {
  const operation = c.operation ?? "CREATE";
  for (const instance of compiled.policy.instances) {
    for (const fixture of c.fixtures) {
      const object = fixture as KubeObject;
      const req = { operation, object, ...(operation === "UPDATE" ? { oldObject: object } : {}), cluster: { namespaces, objects: [] } };
      const results = engines.map((e) => [e.name, e.evaluate(compiled, instance, req)] as const);
      const said = new Set(results.map(([, v]) => say(v)));
      if (stats && said.size === 1) stats[[...said][0]!] = (stats[[...said][0]!] ?? 0) + 1;
      if (said.size > 1) {
        return {
          policy: printPolicy(compiled.policy),
          fixture,
          verdicts: {
            ...Object.fromEntries(results.map(([n, v]) => [n, detail(v)])),
            request: `${operation}${instance.name ? `, instance ${instance.name}` : ""}`,
          },
        };
      }
    }
  }
  return undefined;
}
