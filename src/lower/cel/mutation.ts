/**
 * A mutation instance as the CEL mutations MutatingAdmissionPolicy and Kyverno's MutatingPolicy
 * share (`spec.mutations`): one mutation per step and containers list, each a no-op where it has
 * nothing to change, so applying the policy to its own result changes nothing.
 *
 * - `set` and `rewriteRegistry` are ApplyConfiguration: an `Object{…}` merged by
 *   structured-merge-diff (containers merge into their list by name); a `set` into a map
 *   (`nodeSelector`, `resources.requests`) is JSONPatch, since some maps are atomic
 *   (`nodeSelector`) and the API server refuses an ApplyConfiguration of an atomic map;
 * - `addToSet`/`removeFromSet` are JSONPatch: lists of scalars (capabilities, finalizers) are
 *   atomic, and the API server refuses ApplyConfiguration of atomic lists; the list is replaced
 *   whole, or created under the deepest field that exists;
 * - labels and annotations are ApplyConfiguration of their (granular) maps.
 *
 * A pod mutation's steps apply to the Pod and to each controller's pod template: one expression
 * chooses by `object.kind`.
 */
import type { ContainerList, Mutation, MutationInstance, MutationOp } from "../../ir/index.js";
import { POD_CONTROLLERS } from "../../kube/index.js";
import { celString, celValue } from "./escape.js";
import { celImageRewrite } from "./print-expr.js";

export interface CelMutation {
  readonly patchType: "ApplyConfiguration" | "JSONPatch";
  readonly expression: string;
}

/** Where steps apply: the object (`object`, path []) or the pod template of the controllers of `kinds`, chosen by kind. */
interface Root {
  readonly kinds?: readonly string[];
  readonly path: readonly string[];
}

/** The Pod, and the controllers' templates grouped by where they sit (five kinds keep theirs at spec.template): one branch each. */
function rootsOf(m: Mutation): Root[] {
  if (m.subject !== "pod") return [{ path: [] }];
  const roots: { kinds: string[]; path: readonly string[] }[] = [{ kinds: ["Pod"], path: [] }];
  for (const c of POD_CONTROLLERS) {
    const same = roots.find((r) => r.path.join("/") === c.template.join("/"));
    if (same) same.kinds.push(c.kind.kind);
    else roots.push({ kinds: [c.kind.kind], path: c.template });
  }
  return roots;
}

/** The condition that an object is of one of the root's kinds. */
const kindIs = (kinds: readonly string[]): string =>
  kinds.length === 1 ? `object.kind == ${celString(kinds[0]!)}` : `object.kind in [${kinds.map(celString).join(", ")}]`;

/** A path of fields (and map keys) from a CEL base. */
interface Seg {
  readonly name: string;
  readonly key: boolean;
}
const fields = (path: readonly string[], keys: readonly number[] = []): Seg[] => path.map((name, i) => ({ name, key: keys.includes(i) }));
const select = (base: string, s: Seg): string => (s.key ? `${base}[${celString(s.name)}]` : `${base}.${s.name}`);
const at = (base: string, path: readonly Seg[]): string => path.reduce(select, base);

/** Every segment of the path is present under base (checked from the top, so no select fails). */
function present(base: string, path: readonly Seg[]): string {
  const checks = path.map((s, i) => {
    const parent = at(base, path.slice(0, i));
    return s.key ? `${celString(s.name)} in ${parent}` : `has(${parent}.${s.name})`;
  });
  return checks.length ? checks.join(" && ") : "true";
}

/**
 * An ApplyConfiguration value setting `inner` at `path` under the object type `typeName`
 * (`Object`, `Object.spec`, `Object.spec.containers`…): nested initializers, named by field path
 * as the API server checks; under a map key, a map literal.
 */
function nest(typeName: string, path: readonly Seg[], inner: string): string {
  if (path.length === 0) return inner;
  const [head, ...rest] = path as [Seg, ...Seg[]];
  const childType = head.key ? typeName : `${typeName}.${head.name}`;
  const value = nest(childType, rest, inner);
  return head.key ? `{${celString(head.name)}: ${value}}` : `${typeName}{${head.name}: ${value}}`;
}
/** The fields of an initializer that sets `inner` at `path` (`a: Object.x.a{b: v}`), for a list item. */
function nestFields(typeName: string, path: readonly Seg[], inner: string): string {
  const [head, ...rest] = path as [Seg, ...Seg[]];
  return `${head.name}: ${nest(`${typeName}.${head.name}`, rest, inner)}`;
}

const pointer = (path: readonly string[]): string => path.map((p) => "/" + p.replace(/~/g, "~0").replace(/\//g, "~1")).join("");
const typeOf = (path: readonly Seg[]): string => ["Object", ...path.filter((s) => !s.key).map((s) => s.name)].join(".");
const EMPTY = "Object{}";

/** The CEL value of a list-of-scalars change's values. */
const valuesOf = (op: Extract<MutationOp, { op: "addToSet" | "removeFromSet" }>): string => celValue(op.values);

/**
 * The JSONPatch creating the list at `path` (absent) under `base`: added whole under the deepest
 * of its parents that is present, with the parents missing below it.
 */
function addPatches(base: string, ptrBase: string, path: readonly Seg[], value: string): string {
  const add = (d: number) => {
    const subtree = path.slice(d + 1).reduceRight((v, s) => `{${celString(s.name)}: ${v}}`, value);
    return `JSONPatch{op: "add", path: ${ptrBase} + ${celString(pointer(path.slice(0, d + 1).map((s) => s.name)))}, value: ${subtree}}`;
  };
  let out = add(0);
  for (let d = 1; d < path.length; d++) out = `${present(base, path.slice(0, d))} ? ${add(d)} : ${out}`;
  return out;
}

/** The JSONPatch of a list change at `path` under `base` (a value whose JSON pointer is `ptrBase`), or undefined when nothing changes. */
function listPatch(
  op: Extract<MutationOp, { op: "addToSet" | "removeFromSet" }>,
  base: string,
  ptrBase: string,
): { need: string; patch: string } {
  const path = fields(op.path, op.keys);
  const list = at(base, path);
  const have = present(base, path);
  const values = valuesOf(op);
  if (op.op === "removeFromSet") {
    return {
      need: `${have} && ${list}.exists(x, x in ${values})`,
      patch: `JSONPatch{op: "replace", path: ${ptrBase} + ${celString(pointer(op.path))}, value: ${list}.filter(x, !(x in ${values}))}`,
    };
  }
  const replace = `JSONPatch{op: "replace", path: ${ptrBase} + ${celString(pointer(op.path))}, value: ${list} + ${values}.filter(x, !(x in ${list}))}`;
  return {
    need: `!(${have} && ${values}.all(x, x in ${list}))`,
    patch: `${have} ? ${replace} : ${addPatches(base, ptrBase, path, values)}`,
  };
}

/** The ApplyConfiguration (or JSONPatch) of one object step at one root. */
function objectStep(op: MutationOp, root: Root): { patchType: CelMutation["patchType"]; when: string; patch: string } {
  const rootSegs = fields(root.path);
  const base = at("object", rootSegs);
  switch (op.op) {
    case "set": {
      const path = fields(op.path, op.keys);
      const have = present(base, path);
      const when = op.ifAbsent ? `!(${have})` : `!(${have} && ${at(base, path)} == ${celValue(op.value)})`;
      // Into a map (nodeSelector is atomic): JSONPatch, which any map takes.
      if (op.keys.length)
        return { patchType: "JSONPatch", when, patch: `[${addPatches(base, celString(pointer(root.path)), path, celValue(op.value))}]` };
      return { patchType: "ApplyConfiguration", when, patch: nest("Object", [...rootSegs, ...path], celValue(op.value)) };
    }
    case "metadata": {
      const path = fields(["metadata", op.field]);
      const absent = `!(${present(base, path)} && ${celString(op.key)} in ${at(base, path)})`;
      if (op.fromNamespaceLabel === undefined)
        return {
          patchType: "ApplyConfiguration",
          when: absent,
          patch: nest("Object", [...rootSegs, ...path], `{${celString(op.key)}: ${celString(op.value ?? "")}}`),
        };
      // The Namespace's label, read from namespaceObject (null for a cluster-scoped object or a namespace the API server does not hold).
      const labels = "namespaceObject.metadata.labels";
      const nsKey = celString(op.fromNamespaceLabel);
      return {
        patchType: "ApplyConfiguration",
        when: `namespaceObject != null && has(namespaceObject.metadata.labels) && ${nsKey} in ${labels} && ${absent}`,
        patch: nest("Object", [...rootSegs, ...path], `{${celString(op.key)}: ${labels}[${nsKey}]}`),
      };
    }
    case "addToSet":
    case "removeFromSet": {
      const { need, patch } = listPatch(op, base, celString(pointer(root.path)));
      return { patchType: "JSONPatch", when: need, patch: `[${patch}]` };
    }
    case "rewriteRegistry":
      throw new Error("rewriteRegistry is a containers step");
  }
}

/** One containers step, on one list, at one root. */
function containerStep(
  op: MutationOp,
  list: ContainerList,
  imageStartsWith: string | undefined,
  root: Root,
): { patchType: CelMutation["patchType"]; when: string; patch: string } {
  const listSegs = fields([...root.path, "spec", list]);
  const base = at("object", fields(root.path));
  const items = at("object", listSegs);
  const listPresent = `${present(base, fields(["spec", list]))}`;
  const selected = imageStartsWith !== undefined ? `has(c.image) && c.image.startsWith(${celString(imageStartsWith)}) && ` : "";
  const itemType = typeOf(listSegs);
  switch (op.op) {
    case "rewriteRegistry": {
      // Each image moved once: [name, image, moved] per selected container, bound (CEL's let) and
      // read twice: whether any moved, and the containers that did.
      const moved = celImageRewrite("img", op.from, op.to);
      const pairs = `${items}.filter(c, ${selected}has(c.image)).map(c, [c.name, c.image, [c.image].map(img, ${moved})[0]])`;
      const changed = `ps.filter(p, p[1] != p[2])`;
      const patch = `[${pairs}].map(ps, ${changed}.size() > 0 ? ${nest("Object", listSegs, `${changed}.map(p, ${itemType}{name: p[0], image: p[2]})`)} : Object{})[0]`;
      return { patchType: "ApplyConfiguration", when: listPresent, patch };
    }
    case "set": {
      const path = fields(op.path, op.keys);
      const have = present("c", path);
      const need = op.ifAbsent ? `!(${have})` : `!(${have} && ${at("c", path)} == ${celValue(op.value)})`;
      const pick = `${selected}${need}`;
      if (op.keys.length) {
        // Into a map (a container's resources.requests): JSONPatch, by the container's index.
        const ptr = `${celString(pointer([...root.path, "spec", list]) + "/")} + string(i)`;
        return {
          patchType: "JSONPatch",
          when: `${listPresent} && ${items}.exists(c, ${pick})`,
          patch: `${items}.transformList(i, c, ${pick}, ${addPatches("c", ptr, path, celValue(op.value))})`,
        };
      }
      const patched = `${items}.filter(c, ${pick}).map(c, ${itemType}{name: c.name, ${nestFields(itemType, path, celValue(op.value))}})`;
      return {
        patchType: "ApplyConfiguration",
        when: `${listPresent} && ${items}.exists(c, ${pick})`,
        patch: nest("Object", listSegs, patched),
      };
    }
    case "addToSet":
    case "removeFromSet": {
      const ptr = `${celString(pointer([...root.path, "spec", list]) + "/")} + string(i)`;
      const { need, patch } = listPatch(op, "c", ptr);
      const pick = `${selected}${need}`;
      return {
        patchType: "JSONPatch",
        when: `${listPresent} && ${items}.exists(c, ${pick})`,
        patch: `${items}.transformList(i, c, ${pick}, ${patch})`,
      };
    }
    case "metadata":
      throw new Error("metadata is an object step");
  }
}

/**
 * A registry rewrite of one containers list, at every root in one expression: the list read once
 * from the root the object's kind has (empty at none), each image moved once, and only the
 * ApplyConfiguration that merges the moved images chosen by kind. Lowered like the other steps,
 * root by root, the image parsing was written once per root, and cel-go's checker costs more than
 * linearly in an expression's size (measured: 0.64 s to compile the library's rewrite, 0.2 s so).
 */
function rewriteAtRoots(
  roots: readonly Root[],
  op: MutationOp & { op: "rewriteRegistry" },
  list: ContainerList,
  imageStartsWith: string | undefined,
): CelMutation {
  const ats = roots.map((r) => {
    const listSegs = fields([...r.path, "spec", list]);
    const guard = [...(r.kinds ? [kindIs(r.kinds)] : []), present("object", listSegs)].join(" && ");
    return { r, listSegs, guard, items: at("object", listSegs) };
  });
  const items = ats.reduceRight((rest, a) => `${a.guard} ? ${a.items} : ${rest === "[]" ? "[]" : `(${rest})`}`, "[]");
  const selected = imageStartsWith !== undefined ? ` && c.image.startsWith(${celString(imageStartsWith)})` : "";
  const moved = celImageRewrite("img", op.from, op.to);
  const pairs = `(${items}).filter(c, has(c.image)${selected}).map(c, [c.name, c.image, [c.image].map(img, ${moved})[0]])`;
  const changed = `ps.filter(p, p[1] != p[2])`;
  const wrap = ats.reduceRight((rest, a) => {
    const merged = nest("Object", a.listSegs, `${changed}.map(p, ${typeOf(a.listSegs)}{name: p[0], image: p[2]})`);
    return a.r.kinds ? `${kindIs(a.r.kinds)} ? ${merged} : ${rest === EMPTY ? EMPTY : `(${rest})`}` : merged;
  }, EMPTY);
  return { patchType: "ApplyConfiguration", expression: `[${pairs}].map(ps, ${changed}.size() > 0 ? (${wrap}) : ${EMPTY})[0]` };
}

/** The CEL mutations of one instance, in step order. */
export function lowerMutationToCel(m: Mutation, inst: MutationInstance): CelMutation[] {
  const roots = rootsOf(m);
  const out: CelMutation[] = [];
  // One mutation per step, its expression choosing the root by `object.kind`: the API server
  // runs every mutation of a matching policy (an ApplyConfiguration converts the whole object to
  // its typed form and back even when it merges nothing), so one per root made a Deployment pay
  // for seven (measured: 20-30 ms per policy on the CEL engines, about 5 ms once merged). The
  // controllers whose templates sit at the same path share one branch: cel-go's checker costs more
  // than linearly in an expression's size.
  const choose = (make: (root: Root) => { patchType: CelMutation["patchType"]; when: string; patch: string }) => {
    const made = roots.map((r) => ({ r, p: make(r) }));
    const patchType = made[0]!.p.patchType;
    if (made.some((x) => x.p.patchType !== patchType)) throw new Error(`one step lowers to two patch types (${m.name})`);
    const none = patchType === "JSONPatch" ? "[]" : EMPTY;
    const expression = made.reduceRight((rest, { r, p }) => {
      const template = r.path.length ? ` && ${present("object", fields(r.path))}` : "";
      const guard = r.kinds ? `${kindIs(r.kinds)}${template} && ` : "";
      return rest === none ? `${guard}${p.when} ? ${p.patch} : ${none}` : `${guard}${p.when} ? ${p.patch} : (${rest})`;
    }, none);
    out.push({ patchType, expression });
  };
  for (const step of inst.steps) {
    const change = step.change;
    if (step.on === "object") choose((r) => objectStep(change, r));
    else if (change.op === "rewriteRegistry")
      for (const list of step.lists) out.push(rewriteAtRoots(roots, change, list, step.when?.imageStartsWith));
    else for (const list of step.lists) choose((r) => containerStep(change, list, step.when?.imageStartsWith, r));
  }
  return out;
}

/** A CEL mutation as `spec.mutations` writes it (MutatingAdmissionPolicy and Kyverno's MutatingPolicy alike). */
export const mutationEntry = (m: CelMutation): Record<string, unknown> =>
  m.patchType === "JSONPatch"
    ? { patchType: "JSONPatch", jsonPatch: { expression: m.expression } }
    : { patchType: "ApplyConfiguration", applyConfiguration: { expression: m.expression } };
