/**
 * Gatekeeper's mutation system, written after its documentation and source
 * (pkg/mutation: path/token, path/parser, path/tester, mutators/core, mutators/{assign,
 * assignmeta,modifyset,assignimage}, system.go): Gatekeeper's mutation code is not packaged in
 * Debian, so policyc reads its semantics and implements them here.
 *
 * - a location is field names separated by dots, a field name bare (`[A-Za-z0-9_-]+`) or quoted
 *   ('…' or "…", backslash escaping the next character), a field optionally followed by a list
 *   selector `[key: value]` or `[key: *]`;
 * - the walk creates missing objects (and a missing keyed element) on its way, a glob visits
 *   every element and creates none; a change made under a created parent is kept only when the
 *   leaf was reached; `pathTests` decide, at their depth, whether an existing or a missing node
 *   lets the walk go on (`MustExist`, `MustNotExist`);
 * - Assign sets its value at the leaf (never under `metadata`); AssignMetadata sets a label or an
 *   annotation only where it is missing; ModifySet `merge` appends the values a list lacks (a
 *   missing list becomes the values), `prune` removes them (a missing list stays missing);
 *   AssignImage sets the domain, path or tag of an image string;
 * - the system applies every matching mutator in order of (group, kind, namespace, name), again
 *   and again until an iteration changes nothing (at most one more time than there are
 *   mutators); an object that returns to where it started is an oscillation, one that keeps
 *   changing does not converge: both are errors.
 */
import type { AdmissionRequest, KubeObject } from "../../kube/index.js";
import {
  documentsOf,
  type DocumentSet,
  type EngineRequest,
  type MutationAnswer,
  type MutationEngine,
  type Prepared,
  type SetProblem,
} from "../verdict/index.js";
import { constraintMatches, type ConstraintMatch } from "./match.js";

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A location's nodes. */
export type PathNode =
  | { readonly type: "object"; readonly name: string }
  | { readonly type: "list"; readonly key: string; readonly value?: string; readonly glob: boolean };

/** Parses a location (`spec.containers[name: *].image`); throws with the position of the first error. */
export function parseLocation(input: string): PathNode[] {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`location ${JSON.stringify(input)}: ${what} at position ${pos}`);
  };
  const space = () => {
    while (pos < input.length && " \t\r\n".includes(input[pos]!)) pos++;
  };
  const alnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
  const ident = (): string => {
    space();
    const c = input[pos];
    if (c === '"' || c === "'") {
      let out = "";
      pos++;
      for (;;) {
        if (pos >= input.length) fail("unterminated string");
        const ch = input[pos++]!;
        if (ch === c) return out;
        if (ch === "\\") {
          if (pos < input.length) out += input[pos++]!;
          continue;
        }
        out += ch;
      }
    }
    if (!alnum(c)) fail(`expected a field name, got ${c === undefined ? "end of input" : JSON.stringify(c)}`);
    const start = pos;
    while (alnum(input[pos])) pos++;
    return input.slice(start, pos);
  };
  const expect = (ch: string) => {
    space();
    if (input[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };
  const nodes: PathNode[] = [];
  for (;;) {
    nodes.push({ type: "object", name: ident() });
    space();
    if (input[pos] === "[") {
      pos++;
      const key = ident();
      expect(":");
      space();
      if (input[pos] === "*") {
        pos++;
        nodes.push({ type: "list", key, glob: true });
      } else nodes.push({ type: "list", key, value: ident(), glob: false });
      expect("]");
    }
    space();
    if (pos >= input.length) return nodes;
    if (input[pos] !== ".") fail(`expected '.' or end of input`);
    pos++;
    space();
    if (pos >= input.length) fail("trailing separators are forbidden");
  }
}

type Condition = "MustExist" | "MustNotExist";
type Tester = ReadonlyMap<number, Condition>;
const existsOkay = (t: Tester, depth: number) => (t.get(depth) ?? "MustExist") === "MustExist";
const missingOkay = (t: Tester, depth: number) => (t.get(depth) ?? "MustNotExist") === "MustNotExist";

/** What a mutator does at the leaf of its location. */
interface Setter {
  /** Whether the leaf may be a keyed list element (Assign's whole-element value). */
  readonly keyedListOkay: boolean;
  set(parent: Obj, key: string): void;
}

/** Walks `path` from `current`, as Gatekeeper's core.Mutate: whether the leaf was reached (and the value set). */
function walk(nodes: readonly PathNode[], tester: Tester, setter: Setter, current: Json, depth: number): { mutated: boolean; value: Json } {
  const node = nodes[depth]!;
  const last = depth === nodes.length - 1;
  if (node.type === "object") {
    if (!isObj(current)) throw new Error(`mismatch between path entry (type: object) and received object at ${node.name}`);
    const exists = Object.hasOwn(current, node.name);
    if (exists ? !existsOkay(tester, depth) : !missingOkay(tester, depth)) return { mutated: false, value: current };
    if (last) {
      setter.set(current, node.name);
      return { mutated: true, value: current };
    }
    const next = exists ? current[node.name] : created(nodes, depth);
    const r = walk(nodes, tester, setter, next, depth + 1);
    if (r.mutated) current[node.name] = r.value;
    return { mutated: r.mutated, value: current };
  }
  if (!Array.isArray(current)) throw new Error(`mismatch between path entry (type: list) and received value`);
  const copy = [...current];
  if (last) {
    if (!setter.keyedListOkay) throw new Error("this mutator cannot set a keyed list element");
    throw new Error("setting a whole keyed list element is not supported by policyc's Gatekeeper engine");
  }
  if (node.glob && !existsOkay(tester, depth)) return { mutated: false, value: copy };
  let mutated = false;
  let found = false;
  for (const element of copy) {
    if (node.glob) {
      mutated = walk(nodes, tester, setter, element, depth + 1).mutated || mutated;
      found = true;
    } else if (isObj(element) && element[node.key] === node.value) {
      if (!existsOkay(tester, depth)) return { mutated: false, value: copy };
      mutated = walk(nodes, tester, setter, element, depth + 1).mutated || mutated;
      found = true;
    }
  }
  if (!node.glob && !found) {
    if (!missingOkay(tester, depth)) return { mutated: false, value: copy };
    const next = created(nodes, depth);
    copy.push(next);
    mutated = walk(nodes, tester, setter, next, depth + 1).mutated || mutated;
  }
  return { mutated, value: copy };
}

/** The empty value created for the node after `depth` (an object, a list; a keyed element carries its key). */
function created(nodes: readonly PathNode[], depth: number): Json {
  const node = nodes[depth]!;
  const next = nodes[depth + 1]!;
  const value: Json = next.type === "object" ? {} : [];
  if (node.type === "list") {
    if (!isObj(value)) throw new Error("two consecutive list path entries not allowed");
    if (node.value === undefined) throw new Error("list entry has no key value");
    value[node.key] = node.value;
  }
  return value;
}

const jsonEqual = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

/** One mutator, read from its document. */
interface Mutator {
  readonly id: readonly [string, string, string, string];
  readonly name: string;
  /** The mutation it belongs to: its `policyc/mutation` annotation, else its own name. */
  readonly mutation: string;
  readonly kind: string;
  readonly nodes: readonly PathNode[];
  readonly tester: Tester;
  readonly setter: Setter;
  readonly applyTo?: readonly { groups?: string[]; versions?: string[]; kinds?: string[] }[];
  readonly match?: ConstraintMatch;
}

const MUTATOR_KINDS = ["Assign", "AssignMetadata", "ModifySet", "AssignImage"];
/** The annotation naming the mutation a mutator belongs to (policyc writes it on every mutator it emits). */
export const MUTATION_ANNOTATION = "policyc/mutation";

/** Image parts as AssignImage reads them: domain (before the first `/` when it has `.` or `:` or is localhost), path, tag (`:tag` or `@digest`). */
function splitImage(image: string): { domain: string; path: string; tag: string } {
  let rest = image;
  let domain = "";
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      domain = first;
      rest = rest.slice(slash + 1);
    }
  }
  const at = rest.indexOf("@");
  if (at >= 0) return { domain, path: rest.slice(0, at), tag: rest.slice(at) };
  const colon = rest.lastIndexOf(":");
  return colon >= 0 ? { domain, path: rest.slice(0, colon), tag: rest.slice(colon) } : { domain, path: rest, tag: "" };
}

/** A mutator document as Gatekeeper reads it, or the problem that makes Gatekeeper refuse it. */
function readMutator(doc: KubeObject): Mutator {
  const kind = String(doc.kind);
  const name = String(doc.metadata?.name ?? "");
  const spec = ((doc as { spec?: unknown }).spec ?? {}) as Obj;
  const params = (isObj(spec.parameters) ? spec.parameters : {}) as Obj;
  const location = typeof spec.location === "string" ? spec.location : "";
  if (!location) throw new Error("spec.location is required");
  const nodes = parseLocation(location);
  const tester = new Map<number, Condition>();
  for (const t of Array.isArray(params.pathTests) ? params.pathTests : []) {
    if (!isObj(t)) continue;
    const sub = parseLocation(String(t.subPath ?? ""));
    if (sub.length > nodes.length || sub.some((n, i) => !jsonEqual(n, nodes[i])))
      throw new Error("all subpaths must be a prefix of the `location` value of the mutation");
    const c = t.condition === "MustNotExist" ? "MustNotExist" : "MustExist";
    if (tester.has(sub.length - 1) && tester.get(sub.length - 1) !== c) throw new Error("conflicting path test conditions");
    tester.set(sub.length - 1, c);
  }
  const first = nodes[0]!;
  const metadataRoot = first.type === "object" && first.name === "metadata";
  const assign = (isObj(params.assign) ? params.assign : {}) as Obj;
  let setter: Setter;
  switch (kind) {
    case "Assign": {
      if (metadataRoot) throw new Error(`assign ${name} can't change metadata`);
      if (params.assignIf !== undefined)
        throw new Error("assignIf is not evaluated by policyc's Gatekeeper engine (the mutator would apply where Gatekeeper's does not)");
      if (!Object.hasOwn(assign, "value"))
        throw new Error("policyc's Gatekeeper engine reads assign.value only (not fromMetadata or externalData)");
      const value = assign.value;
      setter = { keyedListOkay: true, set: (parent, key) => void (parent[key] = structuredClone(value)) };
      break;
    }
    case "AssignMetadata": {
      const ok =
        nodes.length === 3 &&
        nodes.every((n) => n.type === "object") &&
        metadataRoot &&
        ["labels", "annotations"].includes((nodes[1] as { name: string }).name);
      if (!ok) throw new Error(`invalid location for assignmetadata ${name}: ${location}`);
      if (typeof assign.value !== "string")
        throw new Error(`spec.parameters.assign.value field must be a string for AssignMetadata "${name}"`);
      const value = assign.value;
      tester.clear();
      tester.set(nodes.length - 1, "MustNotExist");
      setter = { keyedListOkay: true, set: (parent, key) => void (parent[key] = value) };
      break;
    }
    case "ModifySet": {
      if (metadataRoot) throw new Error(`modifyset ${name} can't change metadata`);
      if (nodes[nodes.length - 1]!.type === "list") throw new Error("final node in a modifyset location cannot be a keyed list");
      const values = isObj(params.values) && Array.isArray(params.values.fromList) ? params.values.fromList : [];
      const op = params.operation ?? "merge";
      if (op !== "merge" && op !== "prune") throw new Error(`unrecognized operation for modifyset: ${String(op)}`);
      setter = {
        keyedListOkay: false,
        set(parent, key) {
          const have = parent[key];
          if (have === undefined) {
            if (op === "merge") parent[key] = structuredClone(values);
            return;
          }
          if (!Array.isArray(have)) throw new Error(`${JSON.stringify(have)} is not a list of values, cannot treat it as a set`);
          parent[key] =
            op === "merge"
              ? [...have, ...values.filter((v: Json) => !have.some((h) => jsonEqual(h, v)))]
              : have.filter((h) => !values.some((v: Json) => jsonEqual(h, v)));
        },
      };
      break;
    }
    case "AssignImage": {
      if (metadataRoot) throw new Error(`assignimage ${name} can't change metadata`);
      const { assignDomain, assignPath, assignTag } = params as { assignDomain?: string; assignPath?: string; assignTag?: string };
      if (!assignDomain && !assignPath && !assignTag) throw new Error("at least one of assignDomain, assignPath, assignTag must be set");
      setter = {
        keyedListOkay: false,
        set(parent, key) {
          const current = typeof parent[key] === "string" ? (parent[key] as string) : "";
          const p = splitImage(current);
          const domain = assignDomain ?? p.domain;
          const path = assignPath ?? p.path;
          const tag = assignTag ?? p.tag;
          parent[key] = `${domain ? `${domain}/` : ""}${path}${tag}`;
        },
      };
      break;
    }
    default:
      throw new Error(`${kind} is not a Gatekeeper mutator`);
  }
  return {
    id: [String(doc.apiVersion ?? "").split("/")[0]!, kind, String(doc.metadata?.namespace ?? ""), name],
    name,
    mutation: String((doc.metadata?.annotations as Record<string, unknown> | undefined)?.[MUTATION_ANNOTATION] ?? name),
    kind,
    nodes,
    tester,
    setter,
    ...(Array.isArray(spec.applyTo) ? { applyTo: spec.applyTo as Mutator["applyTo"] } : {}),
    ...(isObj(spec.match) ? { match: spec.match as ConstraintMatch } : {}),
  };
}

/** Whether `applyTo` names the object's group, version and kind (AssignMetadata has none: every kind). */
function applies(m: Mutator, object: Obj, req: AdmissionRequest): boolean {
  if (m.kind !== "AssignMetadata") {
    const [group, version] = String(object.apiVersion ?? "").includes("/")
      ? String(object.apiVersion).split("/")
      : ["", String(object.apiVersion ?? "")];
    const ok = (m.applyTo ?? []).some(
      (a) => (a.groups ?? []).includes(group!) && (a.versions ?? []).includes(version!) && (a.kinds ?? []).includes(String(object.kind)),
    );
    if (!ok) return false;
  }
  return constraintMatches(m.match, { ...req, object: object as KubeObject }).matched;
}

const byId = (a: Mutator, b: Mutator): number => {
  for (let i = 0; i < 4; i++) if (a.id[i] !== b.id[i]) return a.id[i]! < b.id[i]! ? -1 : 1;
  return 0;
};

/** Gatekeeper's system.Mutate: every matching mutator in order, until an iteration changes nothing. */
export function mutateWith(mutators: readonly Mutator[], req: AdmissionRequest, object: Obj): { object: Obj; applied: boolean } {
  const original = structuredClone(object);
  let obj = structuredClone(object);
  const max = mutators.length + 1;
  for (let i = 0; i < max; i++) {
    const old = structuredClone(obj);
    let applied = 0;
    for (const m of mutators) {
      if (!applies(m, obj, req)) continue;
      const r = walk(m.nodes, m.tester, m.setter, obj, 0);
      if (r.mutated) applied++;
      obj = r.value as Obj;
    }
    if (applied === 0) return { object: obj, applied: i > 0 };
    if (jsonEqual(old, obj)) {
      if (i > 0 && jsonEqual(original, obj))
        throw new Error(`oscillating mutation for ${String(obj.kind)} ${String((obj.metadata as Obj | undefined)?.name ?? "")}`);
      return { object: obj, applied: true };
    }
  }
  throw new Error(`mutation not converging for ${String(obj.kind)} ${String((obj.metadata as Obj | undefined)?.name ?? "")}`);
}

/**
 * The `gatekeeper` engine's mutations. Gatekeeper applies every mutator of the cluster together:
 * a request names the mutators of one mutation (their `policyc/mutation` annotation; a mutator
 * without one is a mutation of its own, by its name), or `*` for every mutator of the set.
 */
export class GatekeeperMutationEngine implements MutationEngine {
  readonly name = "gatekeeper" as const;
  private constructor(private readonly sets: ReadonlyMap<string, readonly Mutator[]>) {}

  static prepare(sets: readonly DocumentSet<KubeObject>[]): Prepared<GatekeeperMutationEngine> {
    const bySet = new Map<string, Mutator[]>();
    const problems: SetProblem[] = [];
    for (const { doc, index, set } of documentsOf(sets)) {
      if (!MUTATOR_KINDS.includes(String(doc.kind)) || !String(doc.apiVersion ?? "").startsWith("mutations.gatekeeper.sh/")) continue;
      try {
        const list = bySet.get(set) ?? [];
        list.push(readMutator(doc));
        bySet.set(set, list);
      } catch (e) {
        problems.push({
          set,
          document: index,
          code: "invalid_document",
          field: ["spec"],
          message: e instanceof Error ? e.message : String(e),
        });
      }
    }
    for (const list of bySet.values()) list.sort(byId);
    return { engine: new GatekeeperMutationEngine(bySet), problems };
  }

  /** The mutators of a mutation: those named `<policy>-…`, or every one for `*`. */
  private mutatorsOf(policy: string, set?: string): readonly Mutator[] {
    const all = this.sets.get(set ?? "") ?? [];
    return policy === "*" ? all : all.filter((m) => m.mutation === policy);
  }

  has(policy: string, set?: string): boolean {
    return this.mutatorsOf(policy, set).length > 0;
  }

  mutate(request: EngineRequest): MutationAnswer {
    const mutators = this.mutatorsOf(request.policy, request.set);
    if (mutators.length === 0) return { kind: "error", message: `no mutators of ${request.policy}` };
    const object = request.admission.operation === "DELETE" ? undefined : request.admission.object;
    if (!isObj(object)) return { kind: "skip" };
    if (!mutators.some((m) => applies(m, object, request.admission))) return { kind: "skip" };
    try {
      return { kind: "mutated", object: mutateWith(mutators, request.admission, object).object };
    } catch (e) {
      return { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
  }

  release(): void {}
}
