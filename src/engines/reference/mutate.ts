/**
 * policyc's own reading of a mutation (the IR): the referee of the mutation engines, as
 * evaluate.ts is of the validating ones. Pure: the admitted object is copied, never changed.
 */
import { instanceName, type Mutation, type MutationInstance, type MutationOp, type Scalar } from "../../ir/index.js";
import { namespaceLabels, podTemplatePath, rewriteImageRegistry, subjectObject } from "../../kube/index.js";
import type { EngineRequest, MutationAnswer, MutationEngine, Prepared } from "../verdict/index.js";
import { policyMatches } from "./match.js";

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where a step's root is in the object: the object itself, or a controller's pod template. */
function rootOf(m: Mutation, object: Obj): Obj | undefined {
  if (m.subject !== "pod" || object.kind === "Pod") return object;
  let at: Json = object;
  for (const seg of podTemplatePath(String(object.kind)) ?? []) at = isObj(at) ? at[seg] : undefined;
  return isObj(at) ? at : undefined;
}

/** The object at `path` under `at`, created (with its parents) when `create`; undefined where a value in the way is not an object. */
function objectAt(at: Obj, path: readonly string[], create: boolean): Obj | undefined {
  let cur: Obj = at;
  for (const seg of path) {
    const next = cur[seg];
    if (next === undefined && create) cur[seg] = {};
    else if (!isObj(next)) return undefined;
    cur = cur[seg] as Obj;
  }
  return cur;
}

/** Whether a value is among the scalars (JSON equality of scalars). */
const among = (v: Json, values: readonly Scalar[]): boolean => values.some((x) => x === v);

/** Applies one change at `root`. Throws where a value in the way is not an object. */
function applyChange(root: Obj, op: MutationOp, namespace: Readonly<Record<string, string>> | undefined): void {
  switch (op.op) {
    case "set": {
      const parent = objectAt(root, op.path.slice(0, -1), true);
      if (!parent) throw new Error(`cannot set ${op.path.join(".")}: a value on the way is not an object`);
      const last = op.path[op.path.length - 1]!;
      if (op.ifAbsent && parent[last] !== undefined) return;
      parent[last] = op.value;
      return;
    }
    case "addToSet":
    case "removeFromSet": {
      const parent = objectAt(root, op.path.slice(0, -1), op.op === "addToSet");
      if (!parent) {
        if (op.op === "removeFromSet") return;
        throw new Error(`cannot change ${op.path.join(".")}: a value on the way is not an object`);
      }
      const last = op.path[op.path.length - 1]!;
      const list = parent[last];
      if (list !== undefined && !Array.isArray(list)) throw new Error(`${op.path.join(".")} is not a list`);
      if (op.op === "removeFromSet") {
        if (list) parent[last] = list.filter((x) => !among(x, op.values));
        return;
      }
      const have = list ?? [];
      const missing = op.values.filter((v) => !have.includes(v));
      if (missing.length || !list) parent[last] = [...have, ...missing];
      return;
    }
    case "metadata": {
      const value = op.fromNamespaceLabel === undefined ? op.value : namespace?.[op.fromNamespaceLabel];
      if (value === undefined) return;
      const map = objectAt(root, ["metadata", op.field], true);
      if (!map) throw new Error(`metadata.${op.field} is not a map`);
      if (map[op.key] === undefined) map[op.key] = value;
      return;
    }
    case "rewriteRegistry": {
      if (typeof root.image !== "string") return;
      const image = rewriteImageRegistry(root.image, op.from, op.to);
      if (image !== undefined) root.image = image;
      return;
    }
  }
}

/** The object after the instance's steps, in order (a copy; the argument is not changed). */
export function applyMutation(m: Mutation, inst: MutationInstance, object: Obj, namespaceLabels?: Readonly<Record<string, string>>): Obj {
  const out = structuredClone(object);
  const root = rootOf(m, out);
  if (!root) return out;
  for (const step of inst.steps) {
    if (step.on === "object") {
      applyChange(root, step.change, namespaceLabels);
      continue;
    }
    const spec = root.spec;
    if (!isObj(spec)) continue;
    for (const list of step.lists) {
      const items = spec[list];
      if (!Array.isArray(items)) continue;
      for (const item of items) {
        if (!isObj(item)) continue;
        if (step.when && !(typeof item.image === "string" && item.image.startsWith(step.when.imageStartsWith))) continue;
        applyChange(item, step.change, namespaceLabels);
      }
    }
  }
  return out;
}

/** The reference engine's mutations: every instance of the given mutations, by its object name. */
export class ReferenceMutationEngine implements MutationEngine {
  readonly name = "reference" as const;
  private constructor(private readonly instances: ReadonlyMap<string, { mutation: Mutation; instance: MutationInstance }>) {}

  static prepare(mutations: readonly Mutation[]): Prepared<ReferenceMutationEngine> {
    const instances = new Map<string, { mutation: Mutation; instance: MutationInstance }>();
    for (const mutation of mutations)
      for (const instance of mutation.instances) instances.set(instanceName(mutation.name, instance), { mutation, instance });
    return { engine: new ReferenceMutationEngine(instances), problems: [] };
  }

  has(policy: string): boolean {
    return this.instances.has(policy);
  }

  release(): void {}

  mutate(request: EngineRequest): MutationAnswer {
    const entry = this.instances.get(request.policy);
    if (!entry) return { kind: "error", message: `no mutation named ${request.policy}` };
    const req = request.admission;
    const object = subjectObject(req);
    if (!isObj(object)) return { kind: "skip" };
    const ns = (object.metadata as { namespace?: string } | undefined)?.namespace;
    const labels = ns ? namespaceLabels(ns, req.cluster?.namespaces?.[ns]) : {};
    if (!policyMatches(entry.mutation, object, { operation: req.operation, namespaceLabels: labels })) return { kind: "skip" };
    // namespaceObject: the Namespace the cluster holds (none for a cluster-scoped object), with its own labels.
    const held = ns ? req.cluster?.namespaces?.[ns] : undefined;
    const nsLabels = held ? ((held.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) : undefined;
    try {
      return { kind: "mutated", object: applyMutation(entry.mutation, entry.instance, object, nsLabels) };
    } catch (e) {
      return { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
  }
}
