import type { Result } from "./issue.js";
import { derivePrecondition } from "./passes/derive-precondition.js";
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
  // Before simplify, which flattens the and/or it builds.
  { name: "derive-precondition", run: derivePrecondition },
  { name: "lower-globs", run: lowerGlobs },
  { name: "simplify", run: simplify },
];

/** Runs every pass in order; the first that fails ends the lowering with its issues. */
export function lowerPolicy(p: Policy): Result<Policy> {
  let current = p;
  for (const pass of PASSES) {
    const r = pass.run(current);
    if (!r.ok) return r;
    current = r.value;
  }
  return { ok: true, value: current };
}
