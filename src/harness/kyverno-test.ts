/**
 * Kyverno CLI test folders (`kyverno-test.yaml`: `apiVersion: cli.kyverno.io/v1alpha1, kind:
 * Test`, or the older layout without them), run unchanged: the file format and how its result
 * rows are checked. Kyverno's semantics live in the `kyverno` engine (ValidatingPolicy,
 * ClusterPolicy validate.cel, autogen, exceptions) and the `kubernetes` engine (VAPs); this file
 * reads `policies`, `resources`, `exceptions`, `variables` (Values: `globalValues`,
 * per-policy/per-resource `request.operation`, `namespaceSelector` labels), `userinfo`,
 * `context` (the objects `resource.Get`/`List` answer from), and `results` rows (`policy`,
 * `rule`, `resources` as `name` or `namespace/name`, `kind`, `result`), following the Kyverno
 * documentation "Kyverno CLI > test". A row matches a ClusterPolicy rule by name, or its
 * `autogen-` / `autogen-cronjob-` rule, as the CLI does; rows for ValidatingPolicies and VAPs
 * take every response of the policy. A row whose policy does not apply to its resource is skipped,
 * not failed, whatever it expects, as in the CLI.
 */
import { reportedMessagesOf, skip, type EngineName, type MutationEngine, type Verdict } from "../engines/index.js";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { Issue } from "../ir/index.js";
import {
  GO_YAML_1_1,
  groupVersionOf,
  inDefaultNamespace,
  namespacedKnowing,
  type AdmissionRequest,
  type ExternalData,
  type KubeObject,
  type Operation,
} from "../kube/index.js";
import { composeDocumentEngines, composeMutationEngines, type DocumentEngines, type Runtimes } from "./compose.js";
import { mutatingEngineOf, mutatingResultRow } from "./kyverno-test-mutations.js";
import { documentProblemIssue, fieldIssue, inputIssue, NO_DOCUMENT, NOT_A_MAPPING, readFixtures, type Fixture } from "./fixtures.js";
import { readTextFile } from "./read-text.js";
import { CLUSTER_RESOURCE, CONTEXT, TEST, unreadField, USER_INFO, VALUES, type FieldTable } from "./kyverno-test-format.js";
import { search as jmespath, type JSONValue } from "@jmespath-community/jmespath";
import type { ResultRow, RowCause } from "./report.js";
import type { RowBase } from "./rows.js";

export const KYVERNO_TEST_FILE = "kyverno-test.yaml";

export function isKyvernoTest(file: string, text: string): boolean {
  return path.basename(file) === KYVERNO_TEST_FILE || (/^kind:\s*Test\s*$/m.test(text) && text.includes("cli.kyverno.io/"));
}

interface ResultSpec {
  readonly policy?: string;
  readonly rule?: string;
  readonly resources?: readonly string[];
  readonly resource?: string;
  readonly resourceSpecs?: readonly { group?: string; version?: string; kind?: string; namespace?: string; name?: string }[];
  readonly kind?: string;
  readonly result?: string;
  /** The deprecated name of `result`. */
  readonly status?: string;
  /** The deprecated namespace of a namespaced Policy (`<namespace>/<name>` in `policy` instead). */
  readonly namespace?: string;
  /** The row's admission operation (DELETE reads the resource as the old object). */
  readonly operation?: string;
  /** The same, as the newest CLI spells it. */
  readonly resourceOperation?: string;
  readonly isValidatingAdmissionPolicy?: boolean;
  readonly isValidatingPolicy?: boolean;
  readonly isMutatingPolicy?: boolean;
  readonly isMutatingAdmissionPolicy?: boolean;
  /** A file of the objects the resources are expected to be after the mutation (and its deprecated name). */
  readonly patchedResources?: string;
  readonly patchedResource?: string;
}

const get = (o: unknown, ...p: string[]): unknown =>
  p.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);

const RESULTS = ["pass", "fail", "skip", "error", "warn"];

/** The fields naming payloads: documents that are no Kubernetes objects, for ValidatingPolicies in JSON, HTTP or Envoy mode. */
const PAYLOAD_FIELDS = ["jsonPayload", "jsonPayloads", "httpPayloads", "envoyPayloads"] as const;

/** The fields policyc reads from a kyverno-test.yaml, checked before anything runs; the first bad one. */
function checkKyvernoTest(test: Record<string, unknown>, file: string, root: string, doc: number): Issue | undefined {
  const bad = (field: (string | number)[], message: string) => fieldIssue(file, root, field, message, { doc });
  // A test of payloads alone names no resources.
  const payloads = PAYLOAD_FIELDS.some((k) => test[k] !== undefined);
  for (const key of ["policies", "resources"] as const) {
    if (test[key] === undefined && key === "resources" && payloads) continue;
    if (test[key] === undefined) return bad([key], `${key} is required: a list of file paths`);
    if (!Array.isArray(test[key])) return bad([key], `${key} must be a list of file paths`);
    const i = (test[key] as unknown[]).findIndex((x) => typeof x !== "string");
    if (i >= 0) return bad([key, i], "must be a file path");
  }
  if (
    test.exceptions !== undefined &&
    (!Array.isArray(test.exceptions) || (test.exceptions as unknown[]).some((x) => typeof x !== "string"))
  ) {
    return bad(["exceptions"], "exceptions must be a list of file paths");
  }
  for (const key of ["variables", "userinfo", "context", "jsonPayload"] as const) {
    if (test[key] !== undefined && typeof test[key] !== "string") return bad([key], `${key} must be a file path`);
  }
  for (const key of ["paramResources", "clusterResources", "oldResources", "jsonPayloads", "httpPayloads", "envoyPayloads"] as const) {
    if (test[key] !== undefined && (!Array.isArray(test[key]) || (test[key] as unknown[]).some((x) => typeof x !== "string")))
      return bad([key], `${key} must be a list of file paths`);
  }
  const mocks = checkMocks(test, bad);
  if (mocks) return mocks;
  if (test.results === undefined) return undefined;
  if (!Array.isArray(test.results)) return bad(["results"], "results must be a list");
  for (const [i, r] of (test.results as unknown[]).entries()) {
    if (!r || typeof r !== "object" || Array.isArray(r)) return bad(["results", i], "must be a mapping");
    const spec = r as Record<string, unknown>;
    if (typeof spec.policy !== "string" || !spec.policy) return bad(["results", i, "policy"], "policy is required (the policy's name)");
    const result = spec.result ?? spec.status;
    if (typeof result !== "string" || !RESULTS.includes(result))
      return bad(
        ["results", i, spec.result === undefined && spec.status !== undefined ? "status" : "result"],
        `result must be one of ${RESULTS.join(", ")}`,
      );
    if (spec.resources !== undefined && (!Array.isArray(spec.resources) || spec.resources.some((x) => typeof x !== "string"))) {
      return bad(["results", i, "resources"], "must be a list of resource names");
    }
    if (
      spec.resourceSpecs !== undefined &&
      (!Array.isArray(spec.resourceSpecs) || spec.resourceSpecs.some((x) => !x || typeof x !== "object"))
    )
      return bad(["results", i, "resourceSpecs"], "must be a list of resource specs (group, version, kind, namespace, name)");
    if (spec.resources === undefined && typeof spec.resource !== "string" && spec.resourceSpecs === undefined && !payloads)
      return bad(["results", i], "resources is required (a list of resource names)");
    for (const key of ["operation", "resourceOperation"] as const)
      if (spec[key] !== undefined && !["CREATE", "UPDATE", "DELETE", "CONNECT"].includes(String(spec[key])))
        return bad(["results", i, key], `${key} must be CREATE, UPDATE, DELETE or CONNECT`);
  }
  return undefined;
}

/**
 * `apiCallResponses` and `globalContextEntries` as the Kyverno CLI validates them before a run:
 * a url (absolute, http or https) or a urlPath (absolute), never both; GET, POST or no method; a
 * body that is an object; a status code from 100 to 599. An entry: a name given once, its data
 * an object, each projection with a name and a path.
 */
function checkMocks(test: Record<string, unknown>, bad: (field: (string | number)[], message: string) => Issue): Issue | undefined {
  const isObject = (x: unknown) => !!x && typeof x === "object" && !Array.isArray(x);
  for (const key of ["apiCallResponses", "globalContextEntries"] as const) {
    if (test[key] !== undefined && (!Array.isArray(test[key]) || (test[key] as unknown[]).some((x) => !isObject(x))))
      return bad([key], `${key} must be a list of mappings`);
  }
  for (const [i, e] of ((test.apiCallResponses as Record<string, unknown>[] | undefined) ?? []).entries()) {
    const at = (...f: string[]) => ["apiCallResponses", i, ...f];
    const url = typeof e.url === "string" ? e.url.trim() : "";
    const urlPath = typeof e.urlPath === "string" ? e.urlPath.trim() : "";
    if (!url && !urlPath) return bad(at(), "either url or urlPath is required");
    if (url && urlPath) return bad(at("urlPath"), "url and urlPath are mutually exclusive");
    if (url && !/^https?:\/\/[^/?#]+/.test(url)) return bad(at("url"), `url ${JSON.stringify(url)} must be an absolute http or https URL`);
    if (urlPath && !urlPath.startsWith("/"))
      return bad(at("urlPath"), `urlPath ${JSON.stringify(urlPath)} must be an absolute path starting with /`);
    if (e.method !== undefined && !["", "GET", "POST"].includes(String(e.method).trim().toUpperCase()))
      return bad(at("method"), "method must be GET or POST");
    if (!isObject(get(e, "response", "body"))) return bad(at("response", "body"), "response.body is required: a mapping");
    const status = get(e, "response", "statusCode");
    if (status !== undefined && (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599))
      return bad(at("response", "statusCode"), "statusCode must be between 100 and 599");
  }
  const seen = new Set<string>();
  for (const [i, e] of ((test.globalContextEntries as Record<string, unknown>[] | undefined) ?? []).entries()) {
    const at = (...f: (string | number)[]) => ["globalContextEntries", i, ...f];
    const name = typeof e.name === "string" ? e.name.trim() : "";
    if (!name) return bad(at("name"), "name is required");
    if (seen.has(name)) return bad(at("name"), `duplicate name ${JSON.stringify(name)}`);
    seen.add(name);
    const sources = (["data", "resources", "resourceFiles"] as const).filter((k) => e[k] !== undefined);
    if (sources.length === 0) return bad(at(), "one of data, resources or resourceFiles is required");
    if (sources.length > 1) return bad(at(sources[1]!), `${sources.join(" and ")} are mutually exclusive`);
    if (e.data !== undefined && !isObject(e.data)) return bad(at("data"), "data must be a mapping");
    if (e.resources !== undefined && (!Array.isArray(e.resources) || e.resources.some((r) => !isObject(r))))
      return bad(at("resources"), "resources must be a list of objects");
    if (e.resourceFiles !== undefined && (!Array.isArray(e.resourceFiles) || e.resourceFiles.some((f) => typeof f !== "string")))
      return bad(at("resourceFiles"), "resourceFiles must be a list of file paths");
    if (e.fieldPath !== undefined && typeof e.fieldPath !== "string")
      return bad(at("fieldPath"), "fieldPath must be a JMESPath expression");
    if (e.projections !== undefined && !Array.isArray(e.projections)) return bad(at("projections"), "projections must be a list");
    for (const [j, p] of ((e.projections as unknown[] | undefined) ?? []).entries()) {
      if (!isObject(p)) return bad(at("projections", j), "must be a mapping (name, path)");
      const proj = p as Record<string, unknown>;
      if (typeof proj.name !== "string" || !proj.name.trim()) return bad(at("projections", j, "name"), "a projection's name is required");
      if (typeof proj.path !== "string" || !proj.path.trim()) return bad(at("projections", j, "path"), "a projection's path is required");
    }
  }
  return undefined;
}

/** The result a verdict gives in a Kyverno report: pass, fail, warn (a deny whose actions are all Warn), skip or error. */
function resultOf(v: Verdict): string {
  switch (v.kind) {
    case "skip":
      return "skip";
    case "error":
      return "error";
    case "allow":
      return "pass";
    case "deny":
      return v.actions.length > 0 && v.actions.every((a) => a === "Warn") ? "warn" : "fail";
  }
}

export async function runKyvernoTests(
  files: readonly string[],
  runtimes: Runtimes,
  root: string,
  select: (id: string) => boolean,
): Promise<{ rows: ResultRow[]; issues: Issue[] }> {
  const rows: ResultRow[] = [];
  const issues: Issue[] = [];
  for (const file of files) {
    // Each document of a test file is a test of its own, as the Kyverno CLI reads them.
    const read = readFixtures(file, root, { objects: false });
    if (!read.ok) {
      issues.push(read.issue);
      continue;
    }
    for (const doc of read.value.keys()) {
      const r = await runOne(file, read.value[doc]!.object as Record<string, unknown>, doc, runtimes, root, select);
      rows.push(...r.rows);
      issues.push(...r.issues);
    }
  }
  return { rows, issues };
}

/** A Kyverno test file, read: its policies, resources and the cluster around them. */
interface KyvernoTest {
  readonly file: string;
  /** The test's document in the file (a file may hold several tests). */
  readonly doc: number;
  readonly shown: string;
  readonly name: string;
  readonly test: Record<string, unknown>;
  readonly policyFixtures: readonly Fixture[];
  readonly resources: readonly KubeObject[];
  /** The objects before an UPDATE or DELETE (`oldResources`), paired with the resources by kind, namespace and name. */
  readonly oldResources: readonly KubeObject[];
  /** The payloads by evaluation mode (`jsonPayload(s)`, `httpPayloads`, `envoyPayloads`), named by their path as the test writes it. */
  readonly payloads: Readonly<Record<PayloadMode, readonly Payload[]>>;
  readonly values: KubeObject | undefined;
  readonly userInfo: AdmissionRequest["userInfo"] | undefined;
  readonly cluster: NonNullable<AdmissionRequest["cluster"]>;
}

/**
 * A file the test names, read relative to the test file; a bad one is a located issue. `emptyOk`:
 * a file with no document holds no objects (the CLI's resource loader skips such files: Helm
 * renders disabled templates as comments).
 */
type Reader = (rel: string, objects?: boolean, emptyOk?: boolean) => Fixture[];

/** Reads a test (document `doc` of its file) and every file it names; bad files, and fields policyc does not read, are located issues. */
function readKyvernoTest(file: string, test: Record<string, unknown>, doc: number, root: string): KyvernoTest | { issues: Issue[] } {
  const dir = path.dirname(file);
  const invalid = checkKyvernoTest(test, file, root, doc) ?? unreadField(test, TEST, { file, root, what: "the Kyverno CLI's Test", doc });
  if (invalid) return { issues: [invalid] };
  const issues: Issue[] = [];
  const readAll: Reader = (rel, objects = true, emptyOk = false) => {
    const r = readFixtures(path.resolve(dir, rel), root, { objects });
    if (r.ok) return r.value;
    if (!(emptyOk && r.issue.message === NO_DOCUMENT)) issues.push(r.issue);
    return [];
  };
  // Resource files (resources, paramResources) as the CLI's resource loader reads them.
  const list = (k: string) =>
    ((test[k] as string[] | undefined) ?? []).flatMap((f) => readAll(f, true, k === "resources" || k === "paramResources"));
  const policyFixtures = [...list("policies"), ...list("exceptions")];
  // The cluster's objects first: the CRDs among them give the scope of custom kinds.
  const clusterObjects = readClusterResources(test, { readAll, root, dir, issues });
  const namespaced = namespacedKnowing(clusterObjects);
  const resources = uniqueResources(list("resources").map((f) => inDefaultNamespace(f.object, namespaced)));
  const oldResources = list("oldResources").map((f) => inDefaultNamespace(f.object, namespaced));
  const payloads = {
    JSON: readPayloads(test, dir, root, issues),
    HTTP: readRequests(test.httpPayloads, "HTTP", dir, issues),
    Envoy: readRequests(test.envoyPayloads, "Envoy", dir, issues),
  };
  const values = readValues(test, readAll, root, dir, issues);
  const userinfoDoc = readChecked(test.userinfo, readAll, USER_INFO, "UserInfo", root, dir, issues);
  const cluster = readCluster(test, {
    file,
    resources,
    clusterResources: clusterObjects.map((x) => inDefaultNamespace(x, namespaced)),
    values,
    readAll,
    list,
    root,
    dir,
    issues,
  });
  if (issues.length) return { issues };
  return {
    file,
    doc,
    oldResources,
    shown: path.relative(root, file) || file,
    name: String(get(test, "metadata", "name") ?? test.name ?? path.basename(dir)),
    test,
    policyFixtures,
    resources,
    payloads,
    values,
    userInfo: (get(userinfoDoc, "userInfo") as AdmissionRequest["userInfo"]) ?? undefined,
    cluster,
  };
}

/** A file the test names by `field` (values, userinfo, context): its first document, its fields checked against `table`. */
function readChecked(
  field: unknown,
  readAll: Reader,
  table: FieldTable,
  what: string,
  root: string,
  dir: string,
  issues: Issue[],
): KubeObject | undefined {
  if (typeof field !== "string") return undefined;
  const doc = readAll(field, false)[0]?.object;
  const unread = doc && unreadField(doc, table, { file: path.resolve(dir, field), root, what: `the Kyverno CLI's ${what}` });
  if (unread) issues.push(unread);
  return doc;
}

/** A JSON payload of the test: a document that is no Kubernetes object, for ValidatingPolicies in JSON mode. */
interface Payload {
  /** The path as the test writes it (rows name it in `resources`). */
  readonly name: string;
  readonly object: KubeObject;
}

/**
 * The test's JSON payloads (`jsonPayload`, deprecated, then `jsonPayloads`), read as the Kyverno
 * CLI reads them: a `.json`, `.yaml` or `.yml` file of exactly one document, whose root is an
 * object (Kyverno's ValidatingPolicy engine evaluates object roots only). Whole numbers are ints,
 * others doubles, as there.
 */
function readPayloads(test: Record<string, unknown>, dir: string, root: string, issues: Issue[]): Payload[] {
  const names = [
    ...(typeof test.jsonPayload === "string" ? [test.jsonPayload] : []),
    ...((test.jsonPayloads as string[] | undefined) ?? []),
  ];
  const payloads: Payload[] = [];
  for (const name of names) {
    const file = path.resolve(dir, name);
    if (!/\.(json|ya?ml)$/i.test(name)) {
      issues.push(
        inputIssue("invalid_suite", `JSON payload ${name}: the file must be .json, .yaml or .yml, as the Kyverno CLI requires`, file),
      );
      continue;
    }
    const r = readFixtures(file, root, { objects: false });
    if (!r.ok) {
      const notObject = r.issue.message === NOT_A_MAPPING;
      issues.push(
        notObject
          ? {
              ...r.issue,
              code: "invalid_suite",
              message: `JSON payload ${name}: its root must be an object (Kyverno evaluates object roots only)`,
            }
          : { ...r.issue, code: "invalid_suite" },
      );
      continue;
    }
    if (r.value.length !== 1) {
      issues.push(
        inputIssue("invalid_suite", `JSON payload ${name}: the file must hold exactly one document (it holds ${r.value.length})`, file),
      );
      continue;
    }
    payloads.push({ name, object: r.value[0]!.object });
  }
  return payloads;
}

/**
 * The test's HTTP or Envoy payloads (`httpPayloads`, `envoyPayloads`), read as the Kyverno CLI
 * reads them: JSON text whose root is an object (the CLI decodes an HTTP request with Go's
 * encoding/json and an Envoy CheckRequest with protojson, on the CEL runtime's side here).
 */
function readRequests(names: unknown, mode: "HTTP" | "Envoy", dir: string, issues: Issue[]): Payload[] {
  const payloads: Payload[] = [];
  for (const name of (names as string[] | undefined) ?? []) {
    const file = path.resolve(dir, name);
    const read = readTextFile(file);
    if (!read.ok) {
      issues.push(inputIssue(read.missing ? "missing_file" : "invalid_suite", `${mode} payload ${name}: ${read.message}`, file));
      continue;
    }
    let object: unknown;
    try {
      object = JSON.parse(read.text);
    } catch (e) {
      issues.push(
        inputIssue("invalid_suite", `${mode} payload ${name}: not JSON, as the Kyverno CLI reads it (${(e as Error).message})`, file),
      );
      continue;
    }
    if (!object || typeof object !== "object" || Array.isArray(object)) {
      issues.push(inputIssue("invalid_suite", `${mode} payload ${name}: its root must be an object (a ${mode} CheckRequest)`, file));
      continue;
    }
    payloads.push({ name, object: object as KubeObject });
  }
  return payloads;
}

/** The values: the `variables` file, or the test's inline `values` (checked with the test). */
function readValues(test: Record<string, unknown>, readAll: Reader, root: string, dir: string, issues: Issue[]): KubeObject | undefined {
  if (test.values !== undefined) return test.values as KubeObject;
  return readChecked(test.variables, readAll, VALUES, "Values", root, dir, issues);
}

/**
 * The cluster the test's requests are admitted into: namespaces (the values' `namespaces` and
 * `namespaceSelector`, and Namespaces among the resources), the objects params and lookups read
 * (the resources, `paramResources`, `clusterResources`), and what lies outside it (the `context`
 * file, `apiCallResponses`, `globalContextEntries`). As the Kyverno CLI does, lookups see the
 * context's resources and the cluster resources when the test gives either, else its resources.
 */
function readCluster(
  test: Record<string, unknown>,
  o: {
    file: string;
    resources: readonly KubeObject[];
    /** The objects of `clusterResources` (readClusterResources). */
    clusterResources: readonly KubeObject[];
    values: KubeObject | undefined;
    readAll: Reader;
    list: (k: string) => Fixture[];
    root: string;
    dir: string;
    issues: Issue[];
  },
): NonNullable<AdmissionRequest["cluster"]> {
  const namespaces: Record<string, KubeObject> = {};
  for (const n of (get(o.values, "namespaceSelector") as { name: string; labels?: Record<string, string> }[] | undefined) ?? []) {
    namespaces[n.name] = { apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels ?? {} } };
  }
  for (const n of (get(o.values, "namespaces") as KubeObject[] | undefined) ?? [])
    if (n?.metadata?.name) namespaces[n.metadata.name] = { apiVersion: "v1", kind: "Namespace", ...n };
  for (const r of o.resources) if (r.kind === "Namespace" && r.apiVersion === "v1") namespaces[String(r.metadata?.name)] ??= r;
  const params = o.list("paramResources").map((f) => inDefaultNamespace(f.object));
  const clusterResources = o.clusterResources;
  const contextDoc = readChecked(test.context, o.readAll, CONTEXT, "Context", o.root, o.dir, o.issues);
  // An entry's resourceFiles, read relative to the test as its other files are: the entry's resources.
  const entries = ((test.globalContextEntries as Record<string, unknown>[] | undefined) ?? []).map((e) =>
    Array.isArray(e.resourceFiles)
      ? { ...e, resources: (e.resourceFiles as string[]).flatMap((f) => o.readAll(f).map((x) => x.object)) }
      : e,
  );
  const external = externalData(
    o.file,
    { ...test, globalContextEntries: entries },
    contextDoc,
    clusterResources,
    path.dirname(path.resolve(o.dir, String(test.context ?? "."))),
    o.issues,
  );
  return { namespaces, objects: [...o.resources, ...params, ...clusterResources], ...(external ? { external } : {}) };
}

/**
 * The objects of the test's `clusterResources` files. A ClusterResource document
 * (`cli.kyverno.io/v1alpha1`, the Kyverno CLI's layout) gives its `spec.resources` and the
 * CustomResourceDefinitions of the files its `spec.crds` names (relative to the test, as the CLI
 * reads them); any other document is an object of the cluster itself.
 */
function readClusterResources(
  test: Record<string, unknown>,
  o: { readAll: Reader; root: string; dir: string; issues: Issue[] },
): KubeObject[] {
  const out: KubeObject[] = [];
  for (const rel of (test.clusterResources as string[] | undefined) ?? []) {
    const file = path.resolve(o.dir, rel);
    o.readAll(rel).forEach((f) => {
      const x = f.object;
      const doc = Number(/#(\d+)$/.exec(f.label)?.[1] ?? 1) - 1;
      if (x.kind !== "ClusterResource" || !String(x.apiVersion ?? "").startsWith("cli.kyverno.io/")) {
        out.push(x);
        return;
      }
      const unread = unreadField(x, CLUSTER_RESOURCE, { file, root: o.root, what: "the Kyverno CLI's ClusterResource", doc });
      if (unread) o.issues.push(unread);
      const spec = (x.spec ?? {}) as { crds?: unknown; resources?: unknown };
      const paths = Array.isArray(spec.crds) ? spec.crds : [];
      const objects = Array.isArray(spec.resources) ? spec.resources : [];
      if (paths.some((p) => typeof p !== "string") || objects.some((r) => !r || typeof r !== "object"))
        o.issues.push(fieldIssue(file, o.root, ["spec"], "spec.crds must be file paths and spec.resources objects", { doc }));
      for (const crd of paths.filter((p): p is string => typeof p === "string")) out.push(...o.readAll(crd).map((c) => c.object));
      out.push(...(objects as KubeObject[]));
    });
  }
  return out;
}

async function runOne(
  file: string,
  test: Record<string, unknown>,
  doc: number,
  runtimes: Runtimes,
  root: string,
  select: (id: string) => boolean,
): Promise<{ rows: ResultRow[]; issues: Issue[] }> {
  const t = readKyvernoTest(file, test, doc, root);
  if ("issues" in t) return { rows: [], issues: t.issues };
  const { engines, problems } = await composeDocumentEngines(
    [{ id: "", documents: t.policyFixtures.map((f) => asTheCliReadsIt(f.object)) }],
    { runtimes, bindUnbound: true },
    ["kyverno", "kubernetes"],
  );
  if (problems.length) return { rows: [], issues: problems.map((p) => documentProblemIssue(t.policyFixtures, p, root, "invalid_suite")) };
  // MutatingPolicies (kyverno) and MutatingAdmissionPolicies (kubernetes, bound as the CLI binds them).
  const sets = [{ id: "", documents: t.policyFixtures.map((f) => f.object) }];
  const mutating = composeMutationEngines({ sets, mutations: [] }, ["kyverno", "kubernetes"], runtimes, { bindUnbound: true });
  if (mutating.problems.length)
    return { rows: [], issues: mutating.problems.map((p) => documentProblemIssue(t.policyFixtures, p, root, "invalid_suite")) };
  const rows: ResultRow[] = [];
  try {
    ((t.test.results as ResultSpec[] | undefined) ?? []).forEach((spec, i) => {
      if (!select(`${t.name}/${String(spec.policy ?? "")}/${String(spec.rule ?? "")}`)) return;
      const m = mutatingEngineOf(mutating.engines, String(spec.policy ?? ""), spec.isMutatingAdmissionPolicy === true);
      rows.push(
        ...(m && !spec.isValidatingPolicy && !spec.isValidatingAdmissionPolicy
          ? mutatingRows(t, m, spec, i, root)
          : resultRows(t, engines, spec, i)),
      );
    });
  } finally {
    for (const e of mutating.engines) e.release();
  }
  return { rows, issues: [] };
}

/** The rows of one `results` entry: one per resource it names. */
function resultRows(t: KyvernoTest, engines: DocumentEngines, spec: ResultSpec, i: number): ResultRow[] {
  const policyName = String(spec.policy ?? "");
  const rule = String(spec.rule ?? "");
  const expected = String(spec.result ?? spec.status ?? "");
  const names = [...(spec.resources ?? (spec.resource ? [spec.resource] : [])), ...(spec.resourceSpecs ?? []).map(describeSpec)];
  const found = (name: string) =>
    spec.isValidatingAdmissionPolicy
      ? engines.find(name, "", "kubernetes")
      : (engines.find(name, "", "kubernetes") ?? engines.find(name, "", "kyverno"));
  const policy = (spec.namespace ? found(`${spec.namespace}/${policyName}`) : undefined) ?? found(policyName);
  const engine: EngineName = policy?.engine ?? (spec.isValidatingAdmissionPolicy ? "kubernetes" : "kyverno");
  const base = {
    policy: policyName,
    rule,
    case: `results[${i}]`,
    expected,
    source: t.shown,
    engine,
    location: { file: t.shown, ...lineOf(t.file, t.doc, i) },
  };
  const errorRow = (resource: string, detail: string, code: "unsupported" | "missing_document"): ResultRow => ({
    ...base,
    resource,
    actual: "error",
    status: "error",
    messages: [],
    cause: { kind: "error", code, detail },
  });
  if (!policy) return [errorRow(names.join(",") || "-", `no policy ${policyName} in ${t.shown}'s policies`, "missing_document")];
  const vp = policy.engine === "kyverno" ? validatingPolicyOf(t, policyName) : undefined;
  // Kyverno's evaluation modes for payloads that are no Kubernetes objects (`spec.evaluation.mode`).
  const mode = payloadModeOf(vp);
  const targets = rowTargetsOf(t, spec, mode);
  const why = unjudged(t, { policyName, names, kind: spec.kind, mode, targets: targets.length });
  if (why) return [errorRow(names.join(",") || "-", why.detail, why.code)];
  // A ValidatingPolicy has no rules: its rows take the whole policy, whatever `rule` they name.
  const byRule = policy.engine === "kyverno" && rule && !spec.isValidatingPolicy && !vp;
  return targets.map(({ r, label, payload }) => {
    let verdict = engines.evaluate(policy, rowRequest(t, spec, r, payload), byRule ? { rule } : {});
    if (byRule && verdict.kind === "error" && verdict.cause.code === "missing_document")
      return errorRow(label, `no policy ${policyName} with rule ${rule} in ${t.shown}'s policies`, "missing_document");
    if (verdict.kind === "skip" && verdict.cause.code !== "exception")
      verdict = skip(verdict.cause.code, "no rule applies to the resource");
    return judgedRow({ ...base, resource: label }, verdict, expected);
  });
}

/**
 * What a row of a validating policy judges: the test's resources it names (none for HTTP and
 * Envoy policies, which judge their payloads only, as the CLI's authz processor does) and the
 * payloads of its policy's evaluation mode.
 */
function rowTargetsOf(
  t: KyvernoTest,
  spec: ResultSpec,
  mode: PayloadMode | undefined,
): { r: KubeObject; label: string; payload: boolean }[] {
  return [
    ...(mode === "HTTP" || mode === "Envoy" ? [] : rowTargets(t, spec)).map((r) => ({
      r,
      label: `${r.kind}/${r.metadata?.namespace ? r.metadata.namespace + "/" : ""}${r.metadata?.name}`,
      payload: false,
    })),
    ...(mode ? rowPayloads(t.payloads[mode], spec).map((p) => ({ r: p.object, label: p.name, payload: true })) : []),
  ];
}

/** Why a row cannot be judged, if it cannot: nothing to judge, or payloads the CLI would mutate first. */
function unjudged(
  t: KyvernoTest,
  o: { policyName: string; names: readonly string[]; kind: string | undefined; mode: PayloadMode | undefined; targets: number },
): { detail: string; code: "unsupported" | "missing_document" } | undefined {
  // The CLI mutates JSON payloads with the test's JSON-mode MutatingPolicies before it validates them.
  const mutators = o.mode === "JSON" && t.payloads.JSON.length > 0 ? jsonMutatingPolicies(t) : [];
  if (mutators.length > 0)
    return {
      detail: `the Kyverno CLI validates JSON payloads after the JSON-mode MutatingPolicies ${mutators.join(", ")} mutate them; policyc does not mutate JSON payloads`,
      code: "unsupported",
    };
  if (o.targets > 0) return undefined;
  const other = Object.entries(t.payloads).find(([m, ps]) => m !== o.mode && o.names.some((n) => ps.some((p) => samePayload(p.name, n))));
  const where = TARGETS[o.mode ?? "Kubernetes"];
  return {
    detail: other
      ? `${o.policyName} is not in ${other[0]} mode: the Kyverno CLI evaluates ${other[0]} payloads only with ValidatingPolicies whose evaluation.mode is ${other[0]}`
      : `no ${where.what} ${o.names.join(", ")}${o.kind ? ` of kind ${o.kind}` : ""} in ${t.shown}'s ${where.where}`,
    code: "missing_document",
  };
}

/** The admission request of a row's resource (a payload is created; an UPDATE or DELETE reads oldResources). */
function rowRequest(t: KyvernoTest, spec: ResultSpec, r: KubeObject, payload: boolean): AdmissionRequest {
  const operation = payload
    ? "CREATE"
    : (((spec.resourceOperation ?? spec.operation) as Operation | undefined) ?? operationFor(t.values, String(spec.policy ?? ""), r));
  const old = operation === "UPDATE" || operation === "DELETE" ? oldResourceOf(t, r) : undefined;
  return {
    operation,
    ...(operation === "DELETE" ? { oldObject: old ?? r } : { object: r, ...(old ? { oldObject: old } : {}) }),
    ...(t.userInfo ? { userInfo: t.userInfo } : {}),
    cluster: t.cluster,
    // The CLI turns every number of its resources into a float64 before any policy reads them.
    ...(payload ? {} : { numbersAsDoubles: true }),
  };
}

/** The rows of a `results` entry naming a mutating policy: one per resource (kyverno-test-mutations.ts). */
function mutatingRows(t: KyvernoTest, engine: MutationEngine, spec: ResultSpec, i: number, root: string): ResultRow[] {
  const policy = String(spec.policy ?? "");
  const expected = String(spec.result ?? spec.status ?? "");
  const patched = spec.patchedResources ?? spec.patchedResource;
  const row = {
    base: {
      policy,
      rule: String(spec.rule ?? ""),
      case: `results[${i}]`,
      expected,
      source: t.shown,
      location: { file: t.shown, ...lineOf(t.file, t.doc, i) },
    },
    policy,
    expected,
    ...(patched !== undefined ? { patched } : {}),
    dir: path.dirname(t.file),
    root,
  };
  const targets = rowTargets(t, spec);
  const jsonMode = jsonMutatingPolicies(t).includes(policy);
  if (jsonMode || targets.length === 0) {
    const names = spec.resources ?? (spec.resource ? [spec.resource] : []);
    const detail = jsonMode
      ? `${policy} is a MutatingPolicy in JSON mode: policyc does not mutate JSON payloads`
      : `no resource ${names.join(", ")}${spec.kind ? ` of kind ${spec.kind}` : ""} in ${t.shown}'s resources`;
    const code = jsonMode ? "unsupported" : "missing_document";
    return [
      {
        ...row.base,
        resource: names.join(",") || "-",
        engine: engine.name as EngineName,
        actual: "error",
        status: "error",
        messages: [],
        cause: { kind: "error", code, detail },
      },
    ];
  }
  return targets.map((r) => {
    const label = `${r.kind}/${r.metadata?.namespace ? r.metadata.namespace + "/" : ""}${r.metadata?.name}`;
    const answer = engine.mutate({
      policy,
      admission: { operation: "CREATE", object: r, ...(t.userInfo ? { userInfo: t.userInfo } : {}), cluster: t.cluster },
    });
    return mutatingResultRow(row, engine, r, label, answer);
  });
}

/** The test's MutatingPolicies in JSON mode (which the Kyverno CLI applies to JSON payloads before validating them). */
function jsonMutatingPolicies(t: KyvernoTest): string[] {
  return t.policyFixtures
    .filter((f) => f.object.kind === "MutatingPolicy" && get(f.object, "spec", "evaluation", "mode") === "JSON")
    .map((f) => String(f.object.metadata?.name ?? ""));
}

/**
 * The resources without repeats, as the Kyverno CLI reads them (RemoveDuplicates): of objects of
 * the same group, kind, namespace and name, the first.
 */
function uniqueResources(resources: readonly KubeObject[]): KubeObject[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    const key = JSON.stringify([groupVersionOf(r.apiVersion).group, r.kind, r.metadata?.namespace ?? "", r.metadata?.name ?? ""]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The object a resource was before (`oldResources`): the one of the same kind, namespace and name. */
function oldResourceOf(t: KyvernoTest, r: KubeObject): KubeObject | undefined {
  return t.oldResources.find(
    (o) => o.kind === r.kind && o.metadata?.name === r.metadata?.name && o.metadata?.namespace === r.metadata?.namespace,
  );
}

/** The test's resources a row names: by name, `namespace/name` or `Kind/name`, or by resource spec; of the row's kind. */
function rowTargets(t: KyvernoTest, spec: ResultSpec): KubeObject[] {
  const names = spec.resources ?? (spec.resource ? [spec.resource] : []);
  const byName = (r: KubeObject) =>
    names.some(
      (n) => n === r.metadata?.name || n === `${r.metadata?.namespace ?? ""}/${r.metadata?.name}` || n === `${r.kind}/${r.metadata?.name}`,
    );
  const bySpec = (r: KubeObject) =>
    (spec.resourceSpecs ?? []).some((x) => {
      const { group, version } = groupVersionOf(r.apiVersion);
      return (
        (x.group === undefined || x.group === group) &&
        (x.version === undefined || x.version === version) &&
        (x.kind === undefined || x.kind === r.kind) &&
        (x.namespace === undefined || x.namespace === (r.metadata?.namespace ?? "")) &&
        (x.name === undefined || x.name === r.metadata?.name)
      );
    });
  return t.resources.filter((r) => (byName(r) || bySpec(r)) && (!spec.kind || spec.kind === r.kind));
}

/** Whether a payload the test names by `name` is the one a row names by `n` (as written, `./` aside, or by file name). */
const samePayload = (name: string, n: string) => path.normalize(name) === path.normalize(n) || path.basename(name) === n;

/** The payloads of a row of a JSON, HTTP or Envoy policy names in `resources`; every one when it names none. */
function rowPayloads(payloads: readonly Payload[], spec: ResultSpec): readonly Payload[] {
  const names = spec.resources ?? (spec.resource ? [spec.resource] : []);
  const named = names.length > 0 || (spec.resourceSpecs ?? []).length > 0;
  return payloads.filter((p) => !named || names.some((n) => samePayload(p.name, n)));
}

type PayloadMode = "JSON" | "HTTP" | "Envoy";

/** What a row of a policy in each evaluation mode names, and where the test gives it. */
const TARGETS: Record<PayloadMode | "Kubernetes", { what: string; where: string }> = {
  Kubernetes: { what: "resource", where: "resources" },
  JSON: { what: "resource", where: "resources or JSON payloads" },
  HTTP: { what: "HTTP payload", where: "httpPayloads" },
  Envoy: { what: "Envoy payload", where: "envoyPayloads" },
};

/** The evaluation mode of a ValidatingPolicy that evaluates payloads, not Kubernetes requests. */
function payloadModeOf(vp: KubeObject | undefined): PayloadMode | undefined {
  const mode = get(vp, "spec", "evaluation", "mode");
  return mode === "JSON" || mode === "HTTP" || mode === "Envoy" ? mode : undefined;
}

const describeSpec = (x: { kind?: string; namespace?: string; name?: string }) =>
  `${x.kind ?? "*"}/${x.namespace ? `${x.namespace}/` : ""}${x.name ?? "*"}`;

/** The test's ValidatingPolicy of this name (whose validations have no rule names), if it is one. */
function validatingPolicyOf(t: KyvernoTest, name: string): KubeObject | undefined {
  return t.policyFixtures.find(
    (f) => (f.object.kind === "ValidatingPolicy" || f.object.kind === "NamespacedValidatingPolicy") && f.object.metadata?.name === name,
  )?.object;
}

/**
 * A policy document as the Kyverno CLI reads it: a ValidatingAdmissionPolicy resource rule that
 * names no operations matches every operation (the API server would refuse the policy: its
 * `operations` is required; docs/suites.md).
 */
function asTheCliReadsIt(doc: KubeObject): KubeObject {
  if (doc.kind !== "ValidatingAdmissionPolicy") return doc;
  const rules = get(doc, "spec", "matchConstraints", "resourceRules");
  if (!Array.isArray(rules) || rules.every((r) => Array.isArray(get(r, "operations")))) return doc;
  const spec = doc.spec as Record<string, unknown>;
  const matchConstraints = spec.matchConstraints as Record<string, unknown>;
  return {
    ...doc,
    spec: {
      ...spec,
      matchConstraints: {
        ...matchConstraints,
        resourceRules: rules.map((r: Record<string, unknown>) => (Array.isArray(r.operations) ? r : { ...r, operations: ["*"] })),
      },
    },
  };
}

/** The request operation of a resource for a policy: the values file's per-resource value, its global one, or CREATE. */
function operationFor(values: KubeObject | undefined, policy: string, resource: KubeObject): Operation {
  const perResource = (
    (get(values, "policies") as { name: string; resources?: { name: string; values?: Record<string, unknown> }[] }[] | undefined) ?? []
  )
    .find((p) => p.name === policy)
    ?.resources?.find((r) => r.name === resource.metadata?.name)?.values?.["request.operation"];
  return String(perResource ?? get(values, "globalValues", "request.operation") ?? "CREATE") as Operation;
}

/**
 * A row judged as the Kyverno CLI judges it: the result the verdict gives against the row's. A
 * policy that does not apply (not matched, a false match condition, an exception) is a skipped
 * row whatever the row expects, never a failed one: the CLI reports a skipped rule as skipped and
 * a policy without rule responses as excluded, and fails neither (its test command,
 * createRowsAccordingToResults). The row says what it expected, so the skip is visible.
 */
function judgedRow(base: RowBase & { rule: string }, verdict: Verdict, expected: string): ResultRow {
  const actual = resultOf(verdict);
  if (verdict.kind === "skip" && expected !== "skip")
    return {
      ...base,
      actual,
      status: "skip",
      messages: [],
      cause: {
        kind: "skipped",
        code: verdict.cause.code,
        detail: `expected ${expected}, but ${verdict.cause.detail}: the Kyverno CLI counts the row as skipped, not failed`,
      },
    };
  // A row expecting `error` passes on a CEL evaluation error, as in the Kyverno CLI; never on
  // something policyc could not evaluate (an unsupported construct, a missing document).
  const pass = actual === expected && (verdict.kind !== "error" || verdict.cause.code === "evaluation_error");
  const cause: RowCause | undefined = pass
    ? undefined
    : verdict.kind === "error"
      ? { kind: "error", code: verdict.cause.code, detail: verdict.cause.detail }
      : { kind: "mismatch", detail: verdict.kind === "skip" ? verdict.cause.detail : `expected ${expected}, got ${actual}` };
  return {
    ...base,
    actual,
    status: pass ? "pass" : verdict.kind === "error" ? "error" : "fail",
    messages: reportedMessagesOf(verdict),
    ...(cause ? { cause } : {}),
  };
}

/**
 * What lies outside the cluster, for Kyverno's CEL libraries: the Context file's `spec.resources`
 * (what `resource.Get` and `resource.List` see, with the test's `clusterResources`; the test's
 * own resources are not among them), `spec.images` (image data by reference), `spec.globalContext`
 * (name, projection, value or valueFile) and `spec.http` (method, url, status, headers, body or
 * bodyFile), and the test's `apiCallResponses` (url or urlPath, method, response: statusCode and
 * body) and `globalContextEntries` (name, data, fieldPath and projections, JMESPath over data),
 * the Kyverno CLI's layouts. Files are read relative to the Context file, as JSON or YAML.
 * Undefined when the test gives none of them.
 */
function externalData(
  testFile: string,
  test: Record<string, unknown>,
  doc: KubeObject | undefined,
  clusterResources: readonly KubeObject[],
  dir: string,
  issues: Issue[],
): ExternalData | undefined {
  const spec = (get(doc, "spec") as Record<string, unknown> | undefined) ?? {};
  const calls = (test.apiCallResponses as Record<string, unknown>[] | undefined) ?? [];
  const entries = (test.globalContextEntries as Record<string, unknown>[] | undefined) ?? [];
  if (!doc && clusterResources.length === 0 && calls.length === 0 && entries.length === 0) return undefined;
  const fromFile = (file: unknown, inline: unknown): unknown => {
    if (typeof file !== "string" || !file) return inline;
    const abs = path.resolve(dir, file);
    try {
      const read = readTextFile(abs);
      if (!read.ok) throw new Error(read.message);
      return parseYaml(read.text, GO_YAML_1_1) as unknown;
    } catch (e) {
      issues.push({
        code: "invalid_suite",
        message: `cannot read ${file}: ${(e as Error).message.split("\n")[0]}`,
        severity: "error",
        file: abs,
        path: [],
      });
      return undefined;
    }
  };
  const list = (k: string) => (Array.isArray(spec[k]) ? (spec[k] as Record<string, unknown>[]) : []);
  return {
    resources: [...(list("resources") as KubeObject[]), ...clusterResources],
    images: list("images"),
    globalContext: [
      ...list("globalContext").map((e) => ({
        name: String(e.name ?? ""),
        ...(e.projection !== undefined ? { projection: String(e.projection) } : {}),
        value: fromFile(e.valueFile, e.value) ?? null,
      })),
      ...entries.flatMap((e, i) => {
        try {
          return globalContextEntry(e);
        } catch (err) {
          issues.push({
            code: "invalid_suite",
            message: `globalContextEntries[${i}]: ${(err as Error).message.split("\n")[0]} (a JMESPath expression)`,
            severity: "error",
            file: testFile,
            path: ["globalContextEntries", i],
          });
          return [];
        }
      }),
    ],
    http: [
      ...list("http").map((e) => ({
        method: String(e.method ?? "GET"),
        url: String(e.url ?? ""),
        ...(typeof (e.status ?? e.statusCode) === "number" ? { status: Number(e.status ?? e.statusCode) } : {}),
        ...(e.headers ? { headers: e.headers as Record<string, string> } : {}),
        body: fromFile(e.bodyFile, e.body) ?? null,
      })),
      ...calls.map((e) => ({
        method: String(e.method ?? ""),
        url: String(e.url ?? e.urlPath ?? ""),
        ...(typeof get(e, "response", "statusCode") === "number" ? { status: Number(get(e, "response", "statusCode")) } : {}),
        body: get(e, "response", "body") ?? null,
      })),
    ],
  };
}

/**
 * A `globalContextEntries` entry as the global context answers it: its root (`data`, or the list
 * of its `resources` or `resourceFiles`' objects, or the JMESPath `fieldPath` of either) under the entry's name, and each projection's JMESPath of the root
 * under the projection's name, as Kyverno's global context projects them.
 */
function globalContextEntry(e: Record<string, unknown>): { name: string; projection?: string; value: unknown }[] {
  const name = String(e.name ?? "");
  const data = (e.data ?? e.resources) as JSONValue;
  const root = typeof e.fieldPath === "string" && e.fieldPath ? jmespath(data, e.fieldPath) : data;
  const projections = (e.projections as { name?: string; path?: string }[] | undefined) ?? [];
  return [
    { name, value: root ?? null },
    ...projections.map((p) => ({
      name,
      projection: String(p.name ?? ""),
      value: jmespath(root as JSONValue, String(p.path ?? "")) ?? null,
    })),
  ];
}

/** The line of results[i] in the test file. */
function lineOf(file: string, doc: number, i: number): { line: number; column: number } {
  const issue = fieldIssue(file, "", ["results", i], "", { doc });
  return issue.source ? { line: issue.source.line, column: issue.source.column } : { line: 1, column: 1 };
}
