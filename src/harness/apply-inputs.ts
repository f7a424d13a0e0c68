/**
 * What `policyc apply` reads, and the cluster its manifests go into: the resources (files,
 * folders, standard input; `List` items in place), the existing YAML policies of `--policy`, the
 * Namespaces of `--namespaces`; then the namespaces with their labels, the scope of custom kinds
 * (from the CRDs among the inputs), and the admission request of each resource.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import picomatch from "picomatch";
import { POLICY_KINDS } from "../engines/index.js";
import type { Issue, SourceLocation } from "../ir/index.js";
import {
  inDefaultNamespace,
  namespacedKnowing,
  type AdmissionRequest,
  type ClusterState,
  type KubeObject,
  type UserInfo,
} from "../kube/index.js";
import { CLUSTER_LIMITS, clusterFromFixtures } from "./cluster.js";
import {
  fieldIssue,
  fieldLocation,
  inputIssue,
  isParsed,
  readFixtures,
  readObjectDocuments,
  readObjectText,
  uniqueIssues,
  yamlFilesUnder,
  type Fixture,
} from "./fixtures.js";

/**
 * Inputs up to this size (per input path) keep their YAML syntax trees, about 25 times their text:
 * an Argo CD install bundle (a few MB) is then parsed once; larger inputs parse a file again when
 * a row is located in it.
 */
const KEEP_SYNTAX_UP_TO = 4 * 2 ** 20;

/** A resource to evaluate, with where it was read. */
export interface Resource extends Fixture {
  /** The file's document it was read from (and, for a List's item, its path in it), to locate its fields. */
  readonly origin?: { readonly file: string; readonly doc: number; readonly prefix: readonly (string | number)[] };
}

/** Where a field of a resource is in its file (the nearest enclosing field present), else where the resource starts. */
export function resourceFieldLocation(r: Resource, field: readonly (string | number)[], cwd?: string): SourceLocation | undefined {
  if (!r.origin) return r.location;
  // A thread that did not read the inputs (apply's second thread) parses a file the first time it locates in it.
  if (cwd !== undefined && r.origin.file !== "<stdin>" && !isParsed(r.origin.file))
    readObjectDocuments(r.origin.file, cwd, { maxBytes: APPLY_LIMITS.inputBytes, documentBytes: APPLY_LIMITS.documentBytes });
  return fieldLocation(r.origin.file, [...r.origin.prefix, ...field], r.origin.doc, "key") ?? r.location;
}

export interface ApplyInputs {
  readonly resources: readonly Resource[];
  readonly policyDocuments: readonly Fixture[];
  readonly namespaceObjects: readonly Resource[];
  /** What `--cluster` adds: objects the cluster holds, for lookups (Namespaces among them give labels). */
  readonly clusterObjects: ClusterState;
  /**
   * Input documents that are not Kubernetes objects policyc can read (a Helm Chart.yaml, a file
   * that does not parse, a List item that is no object), each located: reported as error rows while
   * the rest is evaluated, or fatal with --strict-input.
   */
  readonly invalid: readonly Issue[];
}

/**
 * How much `apply` reads: each document up to the API server's request limit (3 MiB), a file or
 * standard input up to 256 MiB (a `helm template` of a large chart is tens of MB).
 */
export const APPLY_LIMITS = { documentBytes: 3 * 1024 * 1024, inputBytes: 256 * 1024 * 1024 } as const;

/** What reading the inputs needs of apply's options. */
export interface InputOptions {
  readonly cwd: string;
  readonly inputs: readonly string[];
  /** Globs (relative to cwd, as `git`'s paths) of input files to leave out. */
  readonly ignore?: readonly string[];
  readonly stdin?: () => Promise<string>;
  readonly policyPaths?: readonly string[];
  readonly namespacesFile?: string;
  /** Files or folders of objects the cluster holds besides the inputs (`kubectl get -A -o yaml`): looked up, never checked. */
  readonly clusterPaths?: readonly string[];
}

/** Every input, or the located issues of those that cannot be read. */
export async function readApplyInputs(o: InputOptions): Promise<ApplyInputs | { status: "invalid"; errors: readonly Issue[] }> {
  const issues: Issue[] = [];
  const invalid: Issue[] = [];
  const resources = await readResources(o, issues, invalid);
  const policyDocuments = readPolicyDocuments(o, issues);
  let namespaceObjects: Resource[] = [];
  if (o.namespacesFile) {
    const file = path.resolve(o.cwd, o.namespacesFile);
    const r = readFixtures(file, o.cwd);
    if (r.ok) namespaceObjects = flattenLists(r.value, file, o.cwd, issues);
    else issues.push(r.issue);
    // --namespaces holds Namespaces only: anything else would be looked up as if the cluster held it.
    for (const n of namespaceObjects)
      if (!(n.object.kind === "Namespace" && n.object.apiVersion === "v1"))
        issues.push(
          n.origin
            ? fieldIssue(
                n.origin.file,
                o.cwd,
                [...n.origin.prefix, "kind"],
                `--namespaces holds Namespace objects only, not ${n.object.kind}`,
                {
                  doc: n.origin.doc,
                  code: "invalid_fixture",
                },
              )
            : inputIssue("invalid_fixture", `--namespaces holds Namespace objects only, not ${n.object.kind}`, o.namespacesFile),
        );
  }
  const clusterObjects = readClusterObjects(o, issues);
  if (issues.length) return { status: "invalid", errors: uniqueIssues(issues) };
  return { resources, policyDocuments, namespaceObjects, clusterObjects, invalid: uniqueIssues(invalid) };
}

/** The objects of `--cluster` files and folders: a cluster dump, read with the cluster's limits, each object once. */
function readClusterObjects(o: InputOptions, issues: Issue[]): ClusterState {
  const fixtures: Fixture[] = [];
  for (const p of o.clusterPaths ?? []) {
    const abs = path.resolve(o.cwd, p);
    if (!existsSync(abs)) {
      issues.push(inputIssue("missing_file", "no such file or folder (--cluster)", p));
      continue;
    }
    for (const file of yamlFilesUnder(abs)) {
      const r = readFixtures(file, o.cwd, { maxBytes: CLUSTER_LIMITS.fileBytes });
      if (r.ok) fixtures.push(...r.value);
      else issues.push(r.issue);
    }
  }
  const read = clusterFromFixtures(fixtures, (message, f, item) => {
    const at = f.location;
    const where = item !== undefined ? `items[${item}]: ` : "";
    return {
      code: "invalid_fixture",
      message: `--cluster: ${where}${message}`,
      severity: "error",
      ...(at ? { source: at } : { file: f.label }),
      path: [],
    };
  });
  if ("issue" in read) {
    issues.push(read.issue);
    return {};
  }
  return read;
}

/**
 * The resources of documents, Lists flattened as kubectl flattens them: recursively (a List of
 * PodLists), in place; a List whose `items` is not a list, or an item that is no object, is a
 * located issue. Each resource keeps its path in its document, to locate its fields.
 */
function flattenLists(fixtures: readonly Fixture[], file: string, cwd: string, issues: Issue[]): Resource[] {
  const out: Resource[] = [];
  const walk = (object: KubeObject, label: string, origin: NonNullable<Resource["origin"]>, location: SourceLocation | undefined) => {
    const items = (object as { items?: unknown }).items;
    if (!(typeof object.kind === "string" && object.kind.endsWith("List") && items !== undefined && items !== null)) {
      out.push({ object, label, origin, ...(location ? { location } : {}) });
      return;
    }
    if (!Array.isArray(items)) {
      issues.push(
        fieldIssue(file, cwd, [...origin.prefix, "items"], `the items of a ${object.kind} must be a list of objects`, {
          doc: origin.doc,
          code: "invalid_fixture",
        }),
      );
      return;
    }
    items.forEach((item, i) => {
      const prefix = [...origin.prefix, "items", i];
      if (!item || typeof item !== "object" || Array.isArray(item) || !(item as KubeObject).kind || !(item as KubeObject).apiVersion) {
        issues.push(
          fieldIssue(file, cwd, prefix, "a List item must be a Kubernetes object (apiVersion and kind)", {
            doc: origin.doc,
            code: "invalid_fixture",
          }),
        );
        return;
      }
      const at = fieldLocation(file, prefix, origin.doc) ?? location;
      walk(item as KubeObject, `${label} items[${i}]`, { ...origin, prefix }, at);
    });
  };
  fixtures.forEach((f, doc) => walk(f.object, f.label, { file, doc, prefix: [] }, f.location));
  return out;
}

/**
 * Every resource of the inputs: documents in file order, Lists flattened in place. A missing path
 * is fatal (`issues`); a document or file that is not Kubernetes objects goes to `invalid`.
 */
async function readResources(o: InputOptions, issues: Issue[], invalid: Issue[]): Promise<Resource[]> {
  const out: Resource[] = [];
  const limits = { maxBytes: APPLY_LIMITS.inputBytes, documentBytes: APPLY_LIMITS.documentBytes };
  const add = (r: ReturnType<typeof readObjectDocuments>, file: string) => {
    if (!r.ok) return invalid.push(r.issue);
    invalid.push(...r.value.invalid);
    out.push(...flattenLists(r.value.objects, file, o.cwd, invalid));
  };
  for (const input of o.inputs) {
    if (input === "-") {
      add(readObjectText((await o.stdin?.()) ?? "", "<stdin>", limits), "<stdin>");
      continue;
    }
    const abs = path.resolve(o.cwd, input);
    if (!existsSync(abs)) {
      issues.push(inputIssue("missing_file", "no such file or folder", input));
      continue;
    }
    const skip = ignored(o);
    const files = yamlFilesUnder(abs).filter((f) => !skip(f));
    // A small input keeps its syntax trees: its rows are located in it without parsing it again.
    const keepSyntax = files.reduce((n, f) => n + statSync(f).size, 0) <= KEEP_SYNTAX_UP_TO;
    for (const file of files) add(readObjectDocuments(file, o.cwd, { ...limits, keepSyntax }), file);
  }
  return out;
}

/** Whether a file is one `--ignore` leaves out: a glob of its path relative to cwd, or of a folder it is in. */
function ignored(o: InputOptions): (file: string) => boolean {
  if (!o.ignore?.length) return () => false;
  const match = picomatch(
    o.ignore.map((g) => g.replace(/\/+$/, "")),
    { dot: true },
  );
  return (file) => {
    const rel = path.relative(o.cwd, file).split(path.sep).join("/");
    const parts = rel.split("/");
    return parts.some((_, i) => match(parts.slice(0, i + 1).join("/")));
  };
}

/**
 * The documents of every YAML file at a path (a file, or a folder read recursively), file by file;
 * a missing path or a file that does not parse is an issue. `what` names the flag in the message.
 */
function yamlDocumentsAt(
  cwd: string,
  p: string,
  what: string,
  issues: Issue[],
  skip: (file: string) => boolean = () => false,
): { file: string; fixtures: readonly Fixture[] }[] {
  const abs = path.resolve(cwd, p);
  if (!existsSync(abs)) {
    issues.push(inputIssue("missing_file", `no such file or folder${what}`, p));
    return [];
  }
  return yamlFilesUnder(abs).flatMap((file) => {
    if (skip(file)) return [];
    const r = readFixtures(file, cwd);
    if (r.ok) return [{ file, fixtures: r.value }];
    issues.push(r.issue);
    return [];
  });
}

/** The kinds of document `--policy` files may hold. */
const POLICY_DOCUMENT_KINDS = new Set<string>([
  ...POLICY_KINDS,
  "PolicyException",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ConstraintTemplate",
  "ExpansionTemplate",
]);
/** Mutation documents `--policy` files may hold: applied before the validations (apply-mutations.ts). */
export const MUTATION_DOCUMENT_KINDS = new Set<string>([
  "MutatingPolicy",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "Assign",
  "AssignMetadata",
  "ModifySet",
  "AssignImage",
]);
const isConstraintDoc = (d: KubeObject) => typeof d.apiVersion === "string" && d.apiVersion.startsWith("constraints.gatekeeper.sh/");

function readPolicyDocuments(o: InputOptions, issues: Issue[]): Fixture[] {
  const out: Fixture[] = [];
  for (const p of o.policyPaths ?? []) {
    for (const { file, fixtures } of yamlDocumentsAt(o.cwd, p, " (--policy)", issues)) {
      fixtures.forEach((f, doc) => {
        if (
          POLICY_DOCUMENT_KINDS.has(String(f.object.kind)) ||
          MUTATION_DOCUMENT_KINDS.has(String(f.object.kind)) ||
          isConstraintDoc(f.object)
        )
          out.push(f);
        else
          issues.push(
            fieldIssue(
              file,
              o.cwd,
              ["kind"],
              `${f.object.kind} is not a policy document policyc applies (Kyverno, Validating or MutatingAdmissionPolicy, Gatekeeper)`,
              { doc, code: "invalid_fixture" },
            ),
          );
      });
    }
  }
  return out;
}

/** How apply names a resource in its rows: `Kind/namespace/name`. */
export const resourceName = (o: KubeObject): string =>
  `${String(o.kind)}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${String(o.metadata?.name ?? "")}`;

/** The cluster the manifests go into, and the admission request of each resource. */
export interface ApplyCluster {
  /** The resources, namespaced ones without a namespace put in `default`. */
  readonly resources: readonly Resource[];
  request(object: KubeObject): AdmissionRequest;
}

/** What the cluster needs of apply's options. */
export interface ClusterOptions {
  readonly mode?: "admission" | "audit";
  /** Where namespaced objects without a namespace go (`kubectl apply -n`); default `default`. */
  readonly namespace?: string;
  readonly userInfo?: UserInfo;
  readonly clusterScopedKinds?: readonly string[];
}

export function clusterOf(inputs: ApplyInputs, o: ClusterOptions): ApplyCluster {
  // The scope of custom kinds: what CRDs among the inputs say, and --cluster-scoped.
  const namespaced = namespacedKnowing(
    inputs.resources.map((r) => r.object),
    o.clusterScopedKinds,
  );
  // A namespaced resource without a namespace goes to `default` (or --namespace), as kubectl and the Kyverno CLI put it.
  const resources = inputs.resources.map((r) => ({ ...r, object: inDefaultNamespace(r.object, namespaced, o.namespace) }));
  const namespaces: Record<string, KubeObject> = {};
  for (const r of [...inputs.namespaceObjects, ...resources])
    if (r.object.kind === "Namespace" && r.object.apiVersion === "v1" && r.object.metadata?.name)
      namespaces[r.object.metadata.name] ??= r.object;
  for (const [name, ns] of Object.entries(inputs.clusterObjects.namespaces ?? {})) namespaces[name] ??= ns;
  // The cluster's objects (Gatekeeper's synced inventory, lookups): what --cluster holds, then the
  // resources (an input replaces the object of its identity in the dump: it is the version applied)
  // and the given Namespaces. One object for every request, so every engine reads and indexes it once.
  const objects = [
    ...(inputs.clusterObjects.objects ?? []),
    ...resources.map((r) => r.object),
    ...inputs.namespaceObjects.map((r) => r.object),
  ];
  const audit = o.mode === "audit";
  // The same object in every request: engines key what they registered of a cluster by its
  // identity (the CEL runtime's cluster id), so a new one per request would be read again each time.
  const state = { namespaces, objects };
  return {
    resources,
    request: (object) => ({
      operation: "CREATE",
      object,
      // A background scan has no requesting user (so exceptions by user or group do not apply there).
      ...(audit ? { userInfo: { username: "", groups: [] } } : o.userInfo ? { userInfo: o.userInfo } : {}),
      cluster: state,
    }),
  };
}
