import { ok, type Result } from "../issue.js";
import { globToRegex } from "../regex.js";
import type { Policy, Scalar } from "../types.js";
import { mapPolicyExprs } from "../walk.js";

/**
 * Globs with literal patterns become anchored RE2 regexes, so CEL and Rego compare with the
 * same regex. A glob over a parameter stays a glob: the backends translate it at run time.
 */
export function lowerGlobs(p: Policy): Result<Policy> {
  return ok(
    mapPolicyExprs(p, (e) => {
      if (e.kind !== "string" || e.op !== "glob" || e.arg.kind !== "literal") return e;
      const v = e.arg.value;
      const value: Scalar | Scalar[] = Array.isArray(v) ? v.map((g) => globToRegex(String(g))) : globToRegex(String(v));
      return { ...e, op: "matches", arg: { ...e.arg, value } };
    }),
  );
}
