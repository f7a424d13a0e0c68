/**
 * policyc's own test cases (definePolicy `tests`): validated with the SDK's one test-case schema
 * and resolved to admission requests. Problems come back as located issues, never thrown.
 */
import path from "node:path";
import type { CompiledPolicy, ExceptionCase } from "../build/index.js";
import { formatPath, issue, type Instance, type Issue, type SourceLocation } from "../ir/index.js";
import { NAMESPACE_NAME_LABEL, type AdmissionRequest, type ClusterState, type KubeObject } from "../kube/index.js";
import { exceptionTestCaseSchema, testCaseSchema, type CaseObject, type TestCase } from "../sdk/index.js";
import { depthProblem, readFixtures, type Fixture } from "./fixtures.js";
import { CLUSTER_LIMITS, clusterFromFixtures } from "./cluster.js";

export interface PolicycCase {
  readonly policy: CompiledPolicy;
  readonly index: number;
  readonly name: string;
  /** The case as judged: an exception's `allow` is `skip` here (the exempted policy does not apply). */
  readonly test: TestCase;
  /** `policy/case` (`exception/policy/case` for an exception's case), what --filter matches and --shard splits on. */
  readonly id: string;
  /** Set when the case is an exception's: where it is written. */
  readonly exception?: ExceptionCase;
}

/** Where a case is written: its policy's file and definePolicy call, or its exception's. */
export const caseSource = (c: PolicycCase): { file: string; source: SourceLocation } =>
  c.exception ? { file: c.exception.file, source: c.exception.source } : { file: c.policy.file, source: c.policy.policy.source };

const describeObject = (o: CaseObject) =>
  typeof o === "string"
    ? o
    : `inline ${String(o.kind ?? "object")} ${String((o.metadata as { name?: unknown } | undefined)?.name ?? "")}`.trim();

function defaultName(t: TestCase): string {
  const rs = Array.isArray(t.resource) ? t.resource : [t.resource as CaseObject];
  return `${t.expect} ${rs.map(describeObject).join(", ")}${t.operation && t.operation !== "CREATE" ? ` on ${t.operation}` : ""}${t.instance ? ` (instance ${t.instance})` : ""}`;
}

/** The cases of every policy, validated. Issues point at `tests[i].field` of the definePolicy call. */
export function collectCases(policies: readonly CompiledPolicy[]): { cases: PolicycCase[]; issues: Issue[] } {
  const cases: PolicycCase[] = [];
  const issues: Issue[] = [];
  for (const policy of policies) {
    const names = new Set<string>();
    policy.tests.forEach((raw, index) => {
      const at = (field: (string | number)[], message: string) =>
        issue("invalid_test_case", `${formatPath(["tests", index, ...field])}: ${message}`, policy.policy.source, [
          "tests",
          index,
          ...field,
        ]);
      const parsed = testCaseSchema.safeParse(raw);
      if (!parsed.success) {
        for (const e of parsed.error.issues) issues.push(at(e.path as (string | number)[], e.message));
        return;
      }
      const t = parsed.data as TestCase;
      if (t.instance && !policy.policy.instances.some((i) => i.name === t.instance)) {
        issues.push(at(["instance"], `the policy has no instance named ${JSON.stringify(t.instance)}`));
        return;
      }
      if (t.expect !== "deny" && (t.message !== undefined || t.violations !== undefined)) {
        issues.push(at(["expect"], `message and violations describe a deny; this case expects ${t.expect}`));
        return;
      }
      let name = t.name ?? defaultName(t);
      if (names.has(name)) name = `${name} #${index + 1}`;
      names.add(name);
      cases.push({ policy, index, name, test: t, id: `${policy.policy.name}/${name}` });
    });
    for (const ec of policy.exceptionTests) {
      const parsed = exceptionTestCaseSchema.safeParse(ec.test);
      // defineException reported a malformed case already; the build stopped there.
      if (!parsed.success) continue;
      const t = parsed.data;
      const judged: TestCase = { ...t, expect: t.expect === "allow" ? "skip" : "deny" };
      const name = `${ec.exception}: ${t.name ?? `${t.expect === "allow" ? "exempts" : "still denies"} ${defaultName({ ...judged, expect: "allow" }).slice("allow ".length)}`}`;
      cases.push({ policy, index: ec.index, name, test: judged, id: `${ec.exception}/${policy.policy.name}/${name}`, exception: ec });
    }
  }
  return { cases, issues };
}

export interface ResolvedRequest {
  readonly resource: string;
  readonly request: AdmissionRequest;
  readonly location?: Fixture["location"];
}

export type Resolved =
  { readonly ok: true; readonly instance: Instance; readonly requests: ResolvedRequest[] } | { readonly ok: false; readonly issue: Issue };

/** A located issue about a field of a case (a fixture it names), reported at the case. */
function caseIssue(c: PolicycCase, field: string, message: string): Issue {
  const { source } = caseSource(c);
  return {
    code: "invalid_test_case",
    message: `${formatPath(["tests", c.index, field])}: ${message}`,
    severity: "error",
    source,
    path: ["tests", c.index, field],
  };
}

/** The objects a field of a case names: inline, or every document of a file (relative to the policy file). */
function caseObjects(c: PolicycCase, root: string, o: CaseObject, field: string, maxBytes?: number): Fixture[] | Issue {
  if (typeof o !== "string") {
    const deep = depthProblem(o);
    if (deep) return caseIssue(c, field, `${caseSource(c).file}: the inline object ${deep}`);
    return [{ object: o as KubeObject, label: describeObject(o) }];
  }
  const r = readFixtures(path.resolve(root, path.dirname(caseSource(c).file), o), root, maxBytes ? { maxBytes } : {});
  if (r.ok) return r.value;
  const i = r.issue;
  const at = i.source ? `${i.source.file}:${i.source.line}:${i.source.column}` : (i.file ?? "");
  return caseIssue(c, field, `${at}: ${i.message}`);
}

/** The cluster a case runs in: its namespaces, and the objects of `cluster` (and `objects`, its earlier name). */
function caseCluster(c: PolicycCase, root: string, namespaces: Record<string, KubeObject>): ClusterState | Issue {
  let cluster: ClusterState = { namespaces };
  for (const field of ["cluster", "objects"] as const) {
    const fixtures: Fixture[] = [];
    for (const o of c.test[field] ?? []) {
      const read = caseObjects(c, root, o, field, CLUSTER_LIMITS.fileBytes);
      if (!Array.isArray(read)) return read;
      fixtures.push(...read);
    }
    const at = (f: Fixture, item?: number) =>
      `${f.location ? `${f.location.file}:${f.location.line}: ` : ""}${item !== undefined ? `items[${item}]: ` : ""}`;
    const read = clusterFromFixtures(fixtures, (message, f, item) => caseIssue(c, field, `${at(f, item)}${message}`), cluster);
    if ("issue" in read) return read.issue;
    cluster = read;
  }
  return cluster;
}

/** The requests a case describes: one per resource document. Fixture paths resolve against the policy file's folder. */
export function resolveCase(c: PolicycCase, root: string): Resolved {
  const t = c.test;
  let failed: Issue | undefined;
  // Bad input behind one of the case's fields (a fixture it names) is reported at the case.
  const objectsOf = (o: CaseObject, field: string): Fixture[] => {
    if (failed) return [];
    const read = caseObjects(c, root, o, field);
    if (Array.isArray(read)) return read;
    failed = read;
    return [];
  };
  const instance = (t.instance ? c.policy.policy.instances.find((i) => i.name === t.instance) : c.policy.policy.instances[0])!;
  const list = (Array.isArray(t.resource) ? t.resource : [t.resource]) as CaseObject[];
  const resources = list.flatMap((o) => objectsOf(o, "resource"));
  const old = t.oldResource ? objectsOf(t.oldResource, "oldResource")[0]?.object : undefined;
  const namespaces = Object.fromEntries(
    (t.namespaces ?? []).flatMap((o) => objectsOf(o, "namespaces")).map((f) => [String(f.object.metadata?.name ?? ""), f.object] as const),
  );
  if (failed) return { ok: false, issue: failed };
  const cluster = caseCluster(c, root, namespaces);
  if ("code" in cluster) return { ok: false, issue: cluster };
  const operation = t.operation ?? "CREATE";
  // The request's namespace exists in the cluster: one the case does not describe has only its
  // name label, as every namespace in a cluster does (every engine then sees the same one).
  const known = cluster.namespaces ?? {};
  const withNamespace = (o: KubeObject) => {
    const ns = o.metadata?.namespace;
    if (!ns || known[ns]) return known;
    return { ...known, [ns]: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { [NAMESPACE_NAME_LABEL]: ns } } } };
  };
  const objects = cluster.objects ?? [];
  return {
    ok: true,
    instance,
    requests: resources.map((f) => ({
      resource: f.label,
      ...(f.location ? { location: f.location } : {}),
      request: {
        operation,
        ...(operation === "DELETE" ? { oldObject: old ?? f.object } : { object: f.object }),
        ...(operation === "UPDATE" && old ? { oldObject: old } : {}),
        ...(t.userInfo ? { userInfo: t.userInfo } : {}),
        cluster: { namespaces: withNamespace(f.object), objects },
        ...(t.authorizer ? { authorizer: t.authorizer } : {}),
      },
    })),
  };
}
