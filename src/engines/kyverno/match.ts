/**
 * Kyverno's `match` / `exclude` blocks of ClusterPolicy rules and PolicyExceptions (Kyverno
 * documentation "Selecting Resources"): `any` (one filter holds), `all` (every filter holds), or
 * the older single `resources` block. A filter's criteria must all hold: kinds (`Kind`,
 * `version/Kind` or `group/version/Kind`, wildcards allowed), name/names and namespaces
 * (wildcards), operations, label selector and namespace selector.
 */
import {
  namespaceLabels,
  selectorMatches,
  sentUserInfo,
  type AdmissionRequest,
  type KubeObject,
  type LabelSelector,
} from "../../kube/index.js";

interface ResourceFilter {
  readonly kinds?: readonly string[];
  readonly names?: readonly string[];
  readonly name?: string;
  readonly namespaces?: readonly string[];
  readonly operations?: readonly string[];
  readonly selector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
}

/** Kyverno's wildcard: `*` any run of characters, `?` one character. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(value);
}

/** Kyverno `kinds` entries: `Kind`, `group/version/Kind`, `version/Kind`, with `*` wildcards. */
function kindMatches(entry: string, o: KubeObject): boolean {
  const parts = entry.split("/");
  const kind = parts.at(-1)!;
  if (!wildcardMatches(kind, o.kind ?? "")) return false;
  if (parts.length === 1) return true;
  return wildcardMatches(parts.slice(0, -1).join("/"), o.apiVersion ?? "");
}

function filterMatches(f: ResourceFilter, o: KubeObject, req: AdmissionRequest): boolean {
  if (f.kinds && !f.kinds.some((k) => kindMatches(k, o))) return false;
  const name = o.metadata?.name ?? "";
  if (f.name && !wildcardMatches(f.name, name)) return false;
  if (f.names && !f.names.some((n) => wildcardMatches(n, name))) return false;
  const ns = o.metadata?.namespace ?? "";
  if (f.namespaces && !f.namespaces.some((n) => wildcardMatches(n, ns))) return false;
  if (f.operations && !f.operations.includes(req.operation)) return false;
  if (f.selector && !selectorMatches(f.selector, o.metadata?.labels ?? {})) return false;
  if (f.namespaceSelector && (!ns || !selectorMatches(f.namespaceSelector, namespaceLabels(ns, req.cluster?.namespaces?.[ns]))))
    return false;
  return true;
}

interface Subject {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/**
 * Kyverno's subjects (pkg/utils/match `CheckSubjects`): the requesting user is one of them — `User`
 * by username, `Group` by one of the user's groups, `ServiceAccount` as
 * `system:serviceaccount:<namespace>:<name>`, each name a wildcard; none given, anyone. A request
 * without a user (a background scan) matches no subject.
 */
function subjectsMatch(subjects: readonly Subject[] | undefined, req: AdmissionRequest): boolean {
  if (!subjects?.length) return true;
  const user = sentUserInfo(req.userInfo);
  const username = user.username ?? "";
  return subjects.some((s) => {
    if (s.kind === "User") return wildcardMatches(s.name ?? "", username);
    if (s.kind === "Group") return (user.groups ?? []).some((g) => wildcardMatches(s.name ?? "", g));
    if (s.kind === "ServiceAccount") return wildcardMatches(`system:serviceaccount:${s.namespace ?? ""}:${s.name ?? ""}`, username);
    return false;
  });
}

/**
 * Whether a match (or exclude) block selects the object. `subjects`: also read each filter's
 * `subjects` (PolicyExceptions); ClusterPolicy rules are judged on resources alone here.
 */
export function blockMatches(block: unknown, o: KubeObject, req: AdmissionRequest, options: { subjects?: boolean } = {}): boolean {
  if (!block || typeof block !== "object") return false;
  const b = block as { any?: unknown[]; all?: unknown[]; resources?: ResourceFilter };
  const one = (x: unknown) =>
    filterMatches(((x as { resources?: ResourceFilter }).resources ?? {}) as ResourceFilter, o, req) &&
    (!options.subjects || subjectsMatch((x as { subjects?: Subject[] }).subjects, req));
  if (Array.isArray(b.any) && b.any.length) return b.any.some(one);
  if (Array.isArray(b.all) && b.all.length) return b.all.every(one);
  if (b.resources) return filterMatches(b.resources, o, req);
  return false;
}
