import type { Result } from "./issue.js";
import { expandPodControllers } from "./passes/expand-pod-controllers.js";
import { lowerGlobs } from "./passes/lower-globs.js";
import { simplify } from "./passes/simplify.js";
import type { Policy } from "./types.js";
import { validatePolicy } from "./validate.js";

export interface Pass {
  readonly name: string;
  readonly run: (p: Policy) => Result<Policy>;
}

/**
 * The lowering passes, in order, like OPA's compiler stages. `validate` runs first so no pass
 * sees a malformed policy; `expand-pod-controllers` runs before any pass that reads match kinds.
 */
export const PASSES: readonly Pass[] = [
  { name: "validate", run: validatePolicy },
  { name: "expand-pod-controllers", run: expandPodControllers },
  { name: "lower-globs", run: lowerGlobs },
  { name: "simplify", run: simplify },
];

/** Runs every pass; `trace` receives the policy after each one (for `policyc build --debug-ir`). */
export function lowerPolicy(p: Policy, trace?: (pass: string, p: Policy) => void): Result<Policy> {
  let current = p;
  for (const pass of PASSES) {
    const r = pass.run(current);
    if (!r.ok) return r;
    current = r.value;
    trace?.(pass.name, current);
  }
  return { ok: true, value: current };
}
