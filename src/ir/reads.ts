import type { FieldRef, Policy } from "./types.js";
import { fieldsIn } from "./values.js";
import { operandsOf, walkPolicy } from "./walk.js";

/** Every field a policy reads: in its conditions and in its messages. */
export function fieldsRead(p: Policy): FieldRef[] {
  const out: FieldRef[] = [];
  walkPolicy(p, (e) => {
    for (const o of operandsOf(e)) out.push(...fieldsIn(o));
  });
  for (const r of p.rules) for (const part of r.message.parts) if (part.kind === "value") out.push(...fieldsIn(part.value));
  return out;
}

/**
 * Whether a policy reads context only an admission request has: the old object, the operation or
 * the requesting user. Background and audit evaluation have none of it, so such a policy is
 * admission-only on every target that has the notion.
 */
export function isAdmissionOnly(p: Policy): boolean {
  return fieldsRead(p).some(
    (f) => f.scope.kind === "oldSubject" || (f.scope.kind === "request" && (f.path[0] === "operation" || f.path[0] === "userInfo")),
  );
}

/** Whether a policy reads the old object. */
export const readsOldSubject = (p: Policy): boolean => fieldsRead(p).some((f) => f.scope.kind === "oldSubject");

/** Whether a policy reads the request's Namespace object (Gatekeeper needs Namespaces synced). */
export const readsNamespace = (p: Policy): boolean => fieldsRead(p).some((f) => f.scope.kind === "namespace");
