import { ok, type Result } from "../issue.js";
import { POD_CONTROLLERS, sameKind } from "../../kube/index.js";
import type { Policy } from "../types.js";

/**
 * A pod policy also matches every pod controller, whose pod template the backends read as the
 * subject. Runs first, so later passes and every backend see the complete kind list.
 */
export function expandPodControllers(p: Policy): Result<Policy> {
  if (p.subject !== "pod") return ok(p);
  const kinds = [...p.match.kinds];
  for (const c of POD_CONTROLLERS) if (!kinds.some((k) => sameKind(k, c.kind))) kinds.push(c.kind);
  return ok({ ...p, match: { ...p.match, kinds } });
}
