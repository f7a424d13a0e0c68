import {
  instanceName,
  issue,
  type Issue,
  type Mutation,
  type MutationInstance,
  type MutationOp,
  type MutationStep,
} from "../../ir/index.js";
import { POD_CONTROLLERS, type KindRef } from "../../kube/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";

const GROUP = "mutations.gatekeeper.sh/v1";
/** The annotation naming the mutation a mutator belongs to (Gatekeeper applies all mutators together). */
export const MUTATION_ANNOTATION = "policyc/mutation";

/** A location segment: bare when Gatekeeper's scanner reads it as one identifier, else double-quoted with backslash escapes. */
const segment = (s: string): string => (/^[A-Za-z0-9_-]+$/.test(s) ? s : `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
const location = (parts: readonly string[]): string => parts.join(".");

interface Root {
  readonly kind: KindRef;
  readonly path: readonly string[];
}
function rootsOf(m: Mutation): Root[] {
  if (m.subject !== "pod") return m.match.kinds.map((kind) => ({ kind, path: [] }));
  return m.match.kinds.map((kind) => ({
    kind,
    path: POD_CONTROLLERS.find((c) => c.kind.kind === kind.kind && c.kind.group === kind.group)?.template ?? [],
  }));
}

/** Why Gatekeeper's mutators cannot express a step (undefined: they can). */
function cannot(step: MutationStep): string | undefined {
  const c = step.change;
  if (step.on === "object" && (c.op === "set" || c.op === "addToSet" || c.op === "removeFromSet") && c.path[0] === "metadata")
    return "Assign and ModifySet cannot change an object's metadata, and AssignMetadata only adds labels and annotations (defaultLabel, defaultAnnotation)";
  if (step.on === "containers" && step.when)
    return "a mutator changes every element of a list (a [name: *] glob) and cannot select containers by their image";
  if (step.change.op === "metadata" && step.change.fromNamespaceLabel !== undefined)
    return "a mutator's value is written in it (or comes from external data); it cannot read the labels of the object's Namespace";
  if (step.change.op === "rewriteRegistry")
    return "AssignImage sets the domain of every image at its location; it cannot select images by their current registry";
  return undefined;
}

const SAME_OPERATIONS = (ops: readonly string[]) => ops.length === 2 && ops.includes("CREATE") && ops.includes("UPDATE");

/** What Gatekeeper's mutators cannot express of this mutation, located. */
export function gatekeeperMutationIssues(m: Mutation): Issue[] {
  const out: Issue[] = [];
  if (!SAME_OPERATIONS(m.match.operations))
    out.push(
      issue(
        "unsupported_by_target",
        `gatekeeper: mutation "${m.name}": Gatekeeper's mutating webhook mutates CREATE and UPDATE requests; a mutator cannot select operations`,
        m.source,
        ["match", "operations"],
      ),
    );
  // Gatekeeper's mutator CRDs limit a name to 63 characters; the longest policyc makes is `<instance>-<kind>-<step>-init`.
  for (const inst of m.instances) {
    const longest = `${instanceName(m.name, inst)}-${rootsOf(m).reduce((a, r) => (r.kind.kind.length > a.length ? r.kind.kind : a), "")}-${inst.steps.length}-init`;
    if (longest.length > 63)
      out.push(
        issue(
          "unsupported_by_target",
          `gatekeeper: mutation "${m.name}": its mutators' names (up to ${longest.length} characters, ${longest.toLowerCase()}) exceed the 63 Gatekeeper allows: shorten the mutation's name`,
          m.source,
          ["name"],
        ),
      );
  }
  for (const inst of m.instances)
    for (const step of inst.steps) {
      const why = cannot(step);
      if (why)
        out.push(
          issue(
            "unsupported_by_target",
            `gatekeeper: mutation "${m.name}" cannot be emitted: ${why} (skip: { gatekeeper: "…" } to emit the other targets)`,
            step.change.source,
          ),
        );
    }
  return out;
}

/** The mutator of one change at one location. */
function mutatorOf(
  op: MutationOp,
  at: readonly string[],
  root: Root,
  subjectRoot: boolean,
): { kind: string; spec: Record<string, unknown> } {
  const applyTo = [{ groups: [root.kind.group], kinds: [root.kind.kind], versions: [root.kind.version] }];
  switch (op.op) {
    case "set": {
      const loc = location([...at, ...op.path.map(segment)]);
      return {
        kind: "Assign",
        spec: {
          applyTo,
          location: loc,
          parameters: { assign: { value: op.value }, ...(op.ifAbsent ? { pathTests: [{ subPath: loc, condition: "MustNotExist" }] } : {}) },
        },
      };
    }
    case "addToSet":
    case "removeFromSet": {
      const loc = location([...at, ...op.path.map(segment)]);
      return {
        kind: "ModifySet",
        spec: {
          applyTo,
          location: loc,
          parameters: {
            operation: op.op === "addToSet" ? "merge" : "prune",
            values: { fromList: [...op.values] },
            // Pruning a missing list changes nothing: without the test Gatekeeper would create its parents.
            ...(op.op === "removeFromSet" ? { pathTests: [{ subPath: loc, condition: "MustExist" }] } : {}),
          },
        },
      };
    }
    case "metadata": {
      if (subjectRoot)
        return {
          kind: "AssignMetadata",
          spec: { location: location(["metadata", op.field, segment(op.key)]), parameters: { assign: { value: op.value } } },
        };
      // A pod template's labels are not the object's metadata: an Assign that only adds.
      const loc = location([...at, "metadata", op.field, segment(op.key)]);
      return {
        kind: "Assign",
        spec: {
          applyTo,
          location: loc,
          parameters: { assign: { value: op.value }, pathTests: [{ subPath: loc, condition: "MustNotExist" }] },
        },
      };
    }
    case "rewriteRegistry":
      throw new Error("rewriteRegistry has no Gatekeeper mutator (refused by gatekeeperMutationIssues)");
  }
}

const LIST_SUFFIX: Record<string, string> = { containers: "c", initContainers: "init", ephemeralContainers: "eph" };

/**
 * Gatekeeper mutators (mutations.gatekeeper.sh/v1), one per location as Gatekeeper requires: per
 * instance, step, pod root (the Pod, each controller's template) and containers list. Named
 * `<instance>-<kind>-<step>[-<list>]`, annotated with the mutation they belong to.
 */
export function toGatekeeperMutators(m: Mutation): Document[] {
  return m.instances.flatMap((inst: MutationInstance) => {
    const mutation = instanceName(m.name, inst);
    const docs: Document[] = [];
    const match = (root: Root) => ({
      scope: root.kind.namespaced ? "Namespaced" : "Cluster",
      kinds: [{ apiGroups: [root.kind.group], kinds: [root.kind.kind] }],
      ...(m.match.namespaces?.include ? { namespaces: [...m.match.namespaces.include] } : {}),
      ...(m.match.namespaces?.exclude ? { excludedNamespaces: [...m.match.namespaces.exclude] } : {}),
    });
    for (const root of rootsOf(m)) {
      inst.steps.forEach((step, i) => {
        const lists = step.on === "containers" ? step.lists : [undefined];
        for (const list of lists) {
          const at = [...root.path, ...(list ? ["spec", `${list}[name: *]`] : [])];
          const { kind, spec } = mutatorOf(step.change, at, root, root.path.length === 0 && !list);
          docs.push({
            apiVersion: GROUP,
            kind,
            metadata: {
              name: `${mutation}-${root.kind.kind.toLowerCase()}-${i + 1}${list ? `-${LIST_SUFFIX[list]}` : ""}`,
              labels: { ...MANAGED_BY },
              annotations: { [MUTATION_ANNOTATION]: mutation },
            },
            spec: { ...spec, match: match(root) },
          });
        }
      });
    }
    return docs;
  });
}
