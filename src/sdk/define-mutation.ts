/**
 * `defineMutation`: mutations as typed objects, lowered like policies to Kyverno, Kubernetes and
 * Gatekeeper. A mutation is a list of changes, each made by a constructor called where it is
 * written (so a misspelled path is an issue at its line):
 *
 *   setDefault("spec.securityContext.runAsNonRoot", true)     // only where the field is absent
 *   set("spec.containers…")                                    // (into lists: forEachContainer)
 *   forEachContainer({ lists: "all", imageStartsWith: "docker.io/" }, [set("imagePullPolicy", "Always")])
 *   addToSet("securityContext.capabilities.drop", ["ALL"]), removeFromSet(path, values)
 *   defaultLabel("team", "platform"), defaultAnnotation(key, value)
 *   rewriteRegistry({ from: "docker.io", to: "mirror.example.com" })   // containers only
 *
 * Paths are checked against the field table as rule fields are: a field the kind cannot have is
 * `unknown_field`, a value of the wrong type `type_mismatch`, a path through a list
 * `invalid_policy` (lists are walked with forEachContainer), two changes of one field that
 * disagree `invalid_policy`.
 */
import { z } from "zod";
import {
  checkName,
  CONTAINER_LISTS,
  issue,
  type ContainerList,
  type Issue,
  type Mutation,
  type MutationInstance,
  type MutationOp,
  type MutationStep,
  type Scalar,
  type SourceLocation,
  type TargetName,
  type TargetSetting,
} from "../ir/index.js";
import {
  DEFAULT_OPERATIONS,
  labelKeyProblem,
  labelValueProblem,
  operationSchema,
  POD_CONTROLLERS,
  type KindRef,
  type Operation,
} from "../kube/index.js";
import { closest, describe, shapeOfKindRef, shapeOfKind, type Shape } from "./field-types.js";
import type { Kind } from "./kinds.js";
import { callerLocation } from "./source.js";

const CHANGE = Symbol.for("policyc.mutation-change");
const MUTATION = Symbol.for("policyc.mutation-definition");

/** One change, as a constructor made it (where it was called). */
export interface Change {
  readonly [CHANGE]: true;
  readonly op: DistributiveOmit<MutationOp, "source">;
  readonly path: string;
  readonly source: SourceLocation;
  /** forEachContainer's changes, with the lists and condition. */
  readonly containers?: {
    readonly lists: readonly ContainerList[];
    readonly imageStartsWith?: string;
    readonly changes: readonly Change[];
  };
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const change = (op: Change["op"], path: string, containers?: Change["containers"]): Change => ({
  [CHANGE]: true,
  op,
  path,
  source: callerLocation(),
  ...(containers ? { containers } : {}),
});
const segments = (path: string): string[] => path.split(".");

/** Sets the field only where it is absent (a default). */
export const setDefault = (path: string, value: Scalar): Change =>
  change({ op: "set", path: segments(path), keys: [], value, ifAbsent: true }, path);
/** Sets the field always. */
export const set = (path: string, value: Scalar): Change =>
  change({ op: "set", path: segments(path), keys: [], value, ifAbsent: false }, path);
/** Adds the values a list of scalars lacks (creating the list). */
export const addToSet = (path: string, values: readonly Scalar[]): Change =>
  change({ op: "addToSet", path: segments(path), keys: [], values: [...values] }, path);
/** Removes every item equal to one of the values from a list of scalars. */
export const removeFromSet = (path: string, values: readonly Scalar[]): Change =>
  change({ op: "removeFromSet", path: segments(path), keys: [], values: [...values] }, path);
/** Adds a label where the object (a pod mutation: the pod) has none of that key. */
export const defaultLabel = (key: string, value: string): Change =>
  change({ op: "metadata", field: "labels", key, value }, `metadata.labels.${key}`);
/**
 * Adds a label where the object (a pod mutation: the pod) has none of that key, its value copied
 * from the label `namespaceLabel` (default: the same key) of the object's Namespace; nothing
 * where the Namespace has no such label.
 */
export const defaultLabelFromNamespace = (key: string, namespaceLabel: string = key): Change =>
  change({ op: "metadata", field: "labels", key, fromNamespaceLabel: namespaceLabel }, `metadata.labels.${key}`);
/** Adds an annotation where the object has none of that key. */
export const defaultAnnotation = (key: string, value: string): Change =>
  change({ op: "metadata", field: "annotations", key, value }, `metadata.annotations.${key}`);
/** A container's image on registry `from` (normalised: `nginx` is on docker.io) moves to registry `to`. */
export const rewriteRegistry = (r: { readonly from: string; readonly to: string }): Change =>
  change({ op: "rewriteRegistry", from: r.from, to: r.to }, "image");

export interface ContainerSelection {
  /** Which lists: "all" (containers, initContainers, ephemeralContainers) or some of them. Default: "all". */
  readonly lists?: "all" | readonly ContainerList[];
  /** Only containers whose image (as written) starts with this. */
  readonly imageStartsWith?: string;
}

/** Changes made to every container of the lists (paths from the container). */
export function forEachContainer(selection: ContainerSelection, changes: readonly Change[]): Change {
  const lists = selection.lists === undefined || selection.lists === "all" ? [...CONTAINER_LISTS] : [...selection.lists];
  return change({ op: "set", path: [], keys: [], value: "", ifAbsent: true }, "", {
    lists,
    ...(selection.imageStartsWith !== undefined ? { imageStartsWith: selection.imageStartsWith } : {}),
    changes: [...changes],
  });
}

export const isChange = (x: unknown): x is Change => typeof x === "object" && x !== null && (x as { [CHANGE]?: unknown })[CHANGE] === true;

type AnyParams = z.ZodObject<z.ZodRawShape> | undefined;
type ParamsOf<P extends AnyParams> = P extends z.ZodObject<z.ZodRawShape> ? z.output<P> : Record<string, never>;
type ParamsInput<P extends AnyParams> = P extends z.ZodObject<z.ZodRawShape> ? z.input<P> : Record<string, never>;

/** A mutation's test case: the object admitted and the object expected, or fields of it. */
const caseObject = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
export const mutationTestCaseSchema = z
  .object({
    name: z.string().min(1).optional(),
    /** The admitted object: a YAML file (relative to the mutation's file; its one document) or inline. */
    resource: caseObject,
    /** The object expected after the mutation ("unchanged": the mutation changes nothing; "skip": it does not apply). */
    expect: z.union([z.literal("unchanged"), z.literal("skip"), caseObject]).optional(),
    /** Fields the result must have (dotted paths from the object; null: the field is absent). */
    fields: z.record(z.string(), z.unknown()).optional(),
    /** Which instance (default: the first). */
    instance: z.string().optional(),
    operation: operationSchema.optional(),
    /** Namespace objects, for namespace selectors. */
    namespaces: z.array(caseObject).optional(),
  })
  .strict()
  .refine((c) => c.expect !== undefined || c.fields !== undefined, { message: "a mutation case needs expect or fields" });
export type MutationTestCase = Readonly<z.input<typeof mutationTestCaseSchema>>;

export interface MutationSpec<K extends readonly Kind<unknown>[], P extends AnyParams> {
  /** DNS-1123 label: the name of every generated object. */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly match: {
    /** Kinds to mutate. `Pod` also covers Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob (their pod templates). */
    readonly kinds: K;
    readonly namespaces?: readonly string[];
    readonly excludeNamespaces?: readonly string[];
    /** Admission operations (default CREATE and UPDATE). */
    readonly operations?: readonly Operation[];
  };
  /** Set false to mutate Pods only, not the pod templates of controllers. */
  readonly podControllers?: boolean;
  readonly params?: P;
  readonly instances?: readonly { readonly name?: string; readonly params: ParamsInput<P> }[];
  /** The changes, in order; a function of the instance's parameters when there are parameters. */
  readonly mutate: readonly Change[] | ((params: ParamsOf<P>) => readonly Change[]);
  readonly skip?: Partial<Record<TargetName, string>>;
  readonly tests?: readonly MutationTestCase[];
}

export interface MutationDefinition {
  readonly [MUTATION]: true;
  readonly name: string;
  readonly mutation?: Mutation;
  readonly issues: readonly Issue[];
  readonly tests: readonly MutationTestCase[];
  readonly source: SourceLocation;
}
export type TransferredMutation = Omit<MutationDefinition, typeof MUTATION>;
export function transferMutationDefinition(d: MutationDefinition): TransferredMutation {
  const { [MUTATION]: _marker, ...fields } = d;
  return fields;
}
export const reviveMutationDefinition = (d: TransferredMutation): MutationDefinition => ({ [MUTATION]: true, ...d });
export const isMutationDefinition = (x: unknown): x is MutationDefinition =>
  typeof x === "object" && x !== null && (x as { [MUTATION]?: unknown })[MUTATION] === true;

/** Defines a mutation; problems are issues (located at the change or this call), not exceptions. */
export function defineMutation<const K extends readonly Kind<unknown>[], P extends AnyParams = undefined>(
  spec: MutationSpec<K, P>,
): MutationDefinition {
  const source = callerLocation();
  const name = typeof spec?.name === "string" ? spec.name : "<unnamed>";
  const issues: Issue[] = [];
  const done = (mutation?: Mutation): MutationDefinition => ({
    [MUTATION]: true,
    name,
    ...(mutation ? { mutation: JSON.parse(JSON.stringify(mutation)) as Mutation } : {}),
    issues,
    tests: Array.isArray(spec?.tests) ? spec.tests : [],
    source,
  });
  const badName = checkName(name);
  if (badName) issues.push(issue("invalid_name", `mutation name "${name}" ${badName}`, source, ["name"]));
  const kinds = (Array.isArray(spec?.match?.kinds) ? spec.match.kinds : []) as readonly Kind<unknown>[];
  if (kinds.length === 0) {
    issues.push(issue("unknown_kind", "match.kinds must name at least one kind", source, ["match", "kinds"]));
    return done();
  }
  const hasPod = kinds.some((k) => k.group === "" && k.kind === "Pod");
  const subject = hasPod && spec.podControllers !== false ? "pod" : "resource";
  if (subject === "pod" && kinds.length > 1)
    issues.push(
      issue(
        "unknown_kind",
        "a Pod mutation mutates pods (and the pod templates of controllers): match other kinds in another mutation",
        source,
        ["match", "kinds"],
      ),
    );
  const shapes = kinds.map((k) => shapeOfKindRef(k));
  if (shapes.some((s) => s === undefined || s.kind === "any")) {
    issues.push(
      issue(
        "unknown_kind",
        "mutations are of built-in kinds (their schemas type every change); a custom kind cannot be mutated yet",
        source,
        ["match", "kinds"],
      ),
    );
    return done();
  }
  const root = subject === "pod" ? shapeOfKind("v1", "Pod")! : shapes[0]!;
  const instances = instancesOf(spec, source, issues).flatMap((inst): MutationInstance[] => {
    let changes: unknown;
    try {
      changes = typeof spec.mutate === "function" ? spec.mutate(inst.values as ParamsOf<P>) : spec.mutate;
    } catch (e) {
      issues.push(issue("invalid_policy", e instanceof Error ? e.message : String(e), source, ["mutate"]));
      return [];
    }
    if (!Array.isArray(changes) || changes.length === 0 || !changes.every(isChange)) {
      issues.push(issue("invalid_policy", "mutate must be a non-empty list of changes (setDefault, set, addToSet, …)", source, ["mutate"]));
      return [];
    }
    const steps = changes.flatMap((c) => stepsOf(c, root, issues));
    conflicts(steps, issues);
    return steps.length ? [{ ...(inst.name !== undefined ? { name: inst.name } : {}), steps, source }] : [];
  });
  if (instances.length === 0) return done();
  const targets = {} as Record<TargetName, TargetSetting>;
  for (const t of ["kyverno", "kubernetes", "gatekeeper"] as const) {
    const reason = spec.skip?.[t];
    targets[t] = reason ? { enabled: false, reason, source } : { enabled: true };
  }
  const ns = spec.match.namespaces || spec.match.excludeNamespaces;
  return done({
    kind: "mutation",
    name,
    ...(spec.title !== undefined ? { title: spec.title } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    subject,
    match: {
      // A pod mutation matches the pod controllers too: every target lists them (Kyverno's autogen is off).
      kinds: [...kinds, ...(subject === "pod" ? POD_CONTROLLERS.map((c) => c.kind) : [])].map((k: KindRef) => ({
        group: k.group,
        version: k.version,
        kind: k.kind,
        resource: k.resource,
        namespaced: k.namespaced,
      })),
      operations: [...(spec.match.operations ?? DEFAULT_OPERATIONS)],
      ...(ns
        ? {
            namespaces: {
              ...(spec.match.namespaces ? { include: [...spec.match.namespaces] } : {}),
              ...(spec.match.excludeNamespaces ? { exclude: [...spec.match.excludeNamespaces] } : {}),
            },
          }
        : {}),
    },
    instances,
    targets,
    source,
  });
}

function instancesOf<K extends readonly Kind<unknown>[], P extends AnyParams>(
  spec: MutationSpec<K, P>,
  source: SourceLocation,
  issues: Issue[],
): { name?: string; values: Record<string, unknown> }[] {
  const schema = spec.params as z.ZodObject<z.ZodRawShape> | undefined;
  if (!schema) return [{ values: {} }];
  const specs = spec.instances?.length ? spec.instances : [{ params: {} as ParamsInput<P> }];
  return specs.flatMap((inst, n) => {
    const r = schema.safeParse(inst.params);
    if (r.success) return [{ ...(inst.name !== undefined ? { name: inst.name } : {}), values: r.data as Record<string, unknown> }];
    for (const e of r.error.issues)
      issues.push(
        issue(
          "invalid_params",
          `params.${e.path.join(".")}: ${e.message}`,
          source,
          spec.instances?.length ? ["instances", n, "params"] : ["params"],
        ),
      );
    return [];
  });
}

/** The IR steps of one change, its path and value checked against the shape it starts from. */
function stepsOf(c: Change, root: Shape, issues: Issue[]): MutationStep[] {
  if (c.containers) {
    const podSpec = fieldShape(root, ["spec"]);
    const item = podSpec?.kind === "object" ? podSpec.fields("containers") : undefined;
    if (!item || item.kind !== "list" || podSpec?.kind !== "object") {
      issues.push(issue("unknown_field", "forEachContainer: the mutated kind has no spec.containers (match Pod)", c.source));
      return [];
    }
    const bad = c.containers.lists.filter((l) => !(CONTAINER_LISTS as readonly string[]).includes(l));
    if (bad.length)
      issues.push(
        issue("unknown_field", `forEachContainer: ${bad.join(", ")} is not a containers list (${CONTAINER_LISTS.join(", ")})`, c.source),
      );
    const when = c.containers.imageStartsWith !== undefined ? { when: { imageStartsWith: c.containers.imageStartsWith } } : {};
    return c.containers.changes.flatMap((inner): MutationStep[] => {
      if (inner.containers) {
        issues.push(issue("invalid_policy", "forEachContainer cannot be nested", inner.source));
        return [];
      }
      if (inner.op.op === "metadata") {
        issues.push(
          issue(
            "invalid_policy",
            "a container has no labels or annotations: defaultLabel and defaultAnnotation are changes of the object",
            inner.source,
          ),
        );
        return [];
      }
      const op = checkedOp(inner, item.item, issues);
      return op ? [{ on: "containers", lists: [...c.containers!.lists], ...when, change: op }] : [];
    });
  }
  if (c.op.op === "rewriteRegistry") {
    issues.push(issue("invalid_policy", "rewriteRegistry changes containers' images: write it inside forEachContainer", c.source));
    return [];
  }
  const op = checkedOp(c, root, issues);
  return op ? [{ on: "object", change: op }] : [];
}

/** The shape at a path of field names, or undefined (with no issue) where it does not exist. */
function fieldShape(s: Shape, path: readonly string[]): Shape | undefined {
  let at: Shape | undefined = s;
  for (const seg of path) {
    if (!at) return undefined;
    at = at.kind === "object" ? at.fields(seg) : at.kind === "map" ? at.value : at.kind === "any" ? at : undefined;
  }
  return at;
}

const HOST = /^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9.-]+:[0-9]+)$/;

/** The change as IR, or undefined with an issue where its path or value cannot be. */
function checkedOp(c: Change, from: Shape, issues: Issue[]): MutationOp | undefined {
  const op = { ...c.op, source: c.source } as MutationOp;
  const bad = (code: Parameters<typeof issue>[0], message: string): undefined => {
    issues.push(issue(code, message, c.source));
    return undefined;
  };
  switch (op.op) {
    case "metadata": {
      if (op.fromNamespaceLabel === undefined && typeof op.value !== "string")
        return bad("type_mismatch", `${op.field} values are strings`);
      // What the API server would refuse in the mutated object is refused here, where it is written.
      const keyProblem =
        labelKeyProblem(op.key) ?? (op.fromNamespaceLabel !== undefined ? labelKeyProblem(op.fromNamespaceLabel) : undefined);
      if (keyProblem) return bad("invalid_policy", op.field === "labels" ? keyProblem : keyProblem.replace("label key", "annotation key"));
      const valueProblem = op.field === "labels" && op.value !== undefined ? labelValueProblem(op.value) : undefined;
      if (valueProblem) return bad("invalid_policy", valueProblem);
      return op;
    }
    case "rewriteRegistry":
      if (!HOST.test(op.from) || !HOST.test(op.to))
        return bad(
          "invalid_policy",
          `rewriteRegistry: from and to are registry hosts (registry.example.com, localhost:5000), not "${HOST.test(op.from) ? op.to : op.from}"`,
        );
      if (op.from === op.to || (op.from === "docker.io" && op.to === "index.docker.io"))
        return bad("invalid_policy", "rewriteRegistry: from and to are the same registry");
      return op;
    default:
  }
  let at: Shape = from;
  const path = op.path;
  const keys: number[] = [];
  for (const [i, seg] of path.entries()) {
    if (at.kind === "list")
      return bad(
        "invalid_policy",
        `${c.path}: ${path.slice(0, i).join(".")} is a list; a change goes into a list's items with forEachContainer, not through a path`,
      );
    if (at.kind === "scalar")
      return bad("unknown_field", `${c.path}: ${path.slice(0, i).join(".")} is a ${describe(at)}, it has no field ${seg}`);
    if (at.kind === "map") {
      keys.push(i);
      at = at.value;
      continue;
    }
    if (at.kind === "any") break;
    const next = at.fields(seg);
    if (!next) {
      const hint = closest(seg, at.names());
      return bad("unknown_field", `${c.path}: ${at.name} has no field ${seg}${hint ? ` (did you mean ${hint}?)` : ""}`);
    }
    at = next;
  }
  const typeOk = (v: Scalar, s: Shape): boolean =>
    s.kind === "any" || (s.kind === "scalar" && (s.type === "scalar" ? typeof v !== "boolean" : typeof v === s.type));
  if (op.op === "set") {
    if (at.kind !== "scalar" && at.kind !== "any")
      return bad("invalid_policy", `${c.path} is a ${describe(at)}; set and setDefault write scalars (set its fields one by one)`);
    if (!typeOk(op.value, at))
      return bad("type_mismatch", `${c.path} is a ${describe(at)}, not a ${typeof op.value} (${JSON.stringify(op.value)})`);
    return { ...op, keys };
  }
  if (at.kind !== "list" || at.item.kind !== "scalar")
    return bad("invalid_policy", `${c.path} is a ${describe(at)}; ${op.op} changes a list of scalars`);
  const item = at.item;
  const wrong = op.values.find((v) => !typeOk(v, item));
  if (wrong !== undefined) return bad("type_mismatch", `${c.path} holds ${describe(item)}s, not ${JSON.stringify(wrong)}`);
  return { ...op, keys, values: [...new Set(op.values)] };
}

/** Two steps of one instance that change the same field differently fight over it: an issue at the second. */
function conflicts(steps: readonly MutationStep[], issues: Issue[]): void {
  const seen = new Map<string, MutationStep>();
  for (const s of steps) {
    const path =
      s.change.op === "metadata"
        ? ["metadata", s.change.field, s.change.key]
        : s.change.op === "rewriteRegistry"
          ? ["image"]
          : s.change.path;
    const lists = s.on === "containers" ? s.lists : ["object"];
    for (const l of lists) {
      const key = `${l}\0${path.join("\0")}`;
      const before = seen.get(key);
      const { source: _a, ...mine } = s.change;
      if (before) {
        const { source: _b, ...theirs } = before.change;
        const sameWhen =
          JSON.stringify(before.on === "containers" ? before.when : undefined) ===
          JSON.stringify(s.on === "containers" ? s.when : undefined);
        if (JSON.stringify(mine) !== JSON.stringify(theirs) || !sameWhen) {
          issues.push(
            issue(
              "invalid_policy",
              `two changes of ${l === "object" ? "" : `${l}[*].`}${path.join(".")} disagree (the first at line ${before.change.source.line}): one change per field`,
              s.change.source,
            ),
          );
          break;
        }
      }
      seen.set(key, s);
    }
  }
}
