import { describe, expect, it } from "vitest";
import { GatekeeperMutationEngine, oneSet, parseLocation } from "../../src/engines/index.js";
import type { KubeObject } from "../../src/kube/index.js";

const POD_APPLY = [{ groups: [""], kinds: ["Pod"], versions: ["v1"] }];
const mutator = (kind: string, name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "mutations.gatekeeper.sh/v1",
  kind,
  metadata: { name },
  spec: { ...(kind === "AssignMetadata" ? {} : { applyTo: POD_APPLY }), ...spec },
});
const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", ...metadata },
  spec,
});

function mutate(docs: KubeObject[], object: KubeObject, policy = "*") {
  const { engine, problems } = GatekeeperMutationEngine.prepare(oneSet(docs));
  expect(problems).toEqual([]);
  return engine.mutate({ policy, admission: { operation: "CREATE", object } });
}

describe("Gatekeeper's location syntax", () => {
  it("reads fields, quoted keys and list selectors", () => {
    expect(parseLocation(`spec.containers[name: *].securityContext."run.as"`)).toEqual([
      { type: "object", name: "spec" },
      { type: "object", name: "containers" },
      { type: "list", key: "name", glob: true },
      { type: "object", name: "securityContext" },
      { type: "object", name: "run.as" },
    ]);
    expect(parseLocation(`metadata.labels.'a\\'b'`)[2]).toEqual({ type: "object", name: "a'b" });
    expect(parseLocation("spec.containers[name: app].image")[2]).toEqual({ type: "list", key: "name", value: "app", glob: false });
  });
  it("refuses what Gatekeeper refuses", () => {
    expect(() => parseLocation("spec.")).toThrow(/trailing separators/);
    expect(() => parseLocation("spec..x")).toThrow(/expected a field name/);
    expect(() => parseLocation("spec.containers[name *]")).toThrow(/expected ':'/);
    expect(() => parseLocation(`metadata.labels."open`)).toThrow(/unterminated string/);
  });
});

describe("Gatekeeper's mutators, as its source reads them", () => {
  it("Assign creates missing parents; a MustNotExist path test makes it a default", () => {
    const assign = mutator("Assign", "a", {
      location: "spec.securityContext.runAsNonRoot",
      parameters: { assign: { value: true }, pathTests: [{ subPath: "spec.securityContext.runAsNonRoot", condition: "MustNotExist" }] },
    });
    expect(mutate([assign], pod({ containers: [] }))).toMatchObject({
      kind: "mutated",
      object: { spec: { securityContext: { runAsNonRoot: true } } },
    });
    const kept = mutate([assign], pod({ securityContext: { runAsNonRoot: false } }));
    expect(kept).toMatchObject({ object: { spec: { securityContext: { runAsNonRoot: false } } } });
  });

  it("a glob changes every element and creates none: a pod without initContainers gets no empty list", () => {
    const assign = mutator("Assign", "a", {
      location: "spec.initContainers[name: *].imagePullPolicy",
      parameters: { assign: { value: "Always" } },
    });
    const r = mutate([assign], pod({ containers: [{ name: "c", image: "x" }] }));
    expect(r).toEqual({ kind: "mutated", object: pod({ containers: [{ name: "c", image: "x" }] }) });
  });

  it("a keyed list element missing is created with its key", () => {
    const assign = mutator("Assign", "a", { location: "spec.containers[name: sidecar].image", parameters: { assign: { value: "envoy" } } });
    expect(mutate([assign], pod({ containers: [{ name: "c", image: "x" }] }))).toMatchObject({
      object: {
        spec: {
          containers: [
            { name: "c", image: "x" },
            { name: "sidecar", image: "envoy" },
          ],
        },
      },
    });
  });

  it("ModifySet merge appends what is missing; prune of a missing list creates its parents unless a MustExist test stops it", () => {
    const merge = mutator("ModifySet", "m", {
      location: "spec.containers[name: *].securityContext.capabilities.drop",
      parameters: { operation: "merge", values: { fromList: ["ALL"] } },
    });
    expect(mutate([merge], pod({ containers: [{ name: "c", securityContext: { capabilities: { drop: ["NET_RAW"] } } }] }))).toMatchObject({
      object: { spec: { containers: [{ securityContext: { capabilities: { drop: ["NET_RAW", "ALL"] } } }] } },
    });
    const prune = (tests: unknown[]) =>
      mutator("ModifySet", "p", {
        location: "spec.containers[name: *].securityContext.capabilities.add",
        parameters: { operation: "prune", values: { fromList: ["NET_RAW"] }, pathTests: tests },
      });
    const bare = pod({ containers: [{ name: "c" }] });
    // Gatekeeper's walk creates the parents it passes through, and keeps them once the leaf is reached.
    expect(mutate([prune([])], bare)).toMatchObject({
      object: { spec: { containers: [{ name: "c", securityContext: { capabilities: {} } }] } },
    });
    expect(
      mutate([prune([{ subPath: "spec.containers[name: *].securityContext.capabilities.add", condition: "MustExist" }])], bare),
    ).toEqual({
      kind: "mutated",
      object: bare,
    });
  });

  it("AssignMetadata only adds a label", () => {
    const m = mutator("AssignMetadata", "l", { location: "metadata.labels.team", parameters: { assign: { value: "a" } } });
    expect(mutate([m], pod({}, { labels: { team: "b" } }))).toMatchObject({ object: { metadata: { labels: { team: "b" } } } });
    expect(mutate([m], pod({}))).toMatchObject({ object: { metadata: { labels: { team: "a" } } } });
  });

  it("Assign cannot change metadata, and a pathTest must be a prefix of the location", () => {
    const { problems } = GatekeeperMutationEngine.prepare(
      oneSet([
        mutator("Assign", "x", { location: "metadata.labels.a", parameters: { assign: { value: "b" } } }),
        mutator("Assign", "y", {
          location: "spec.a",
          parameters: { assign: { value: 1 }, pathTests: [{ subPath: "spec.b", condition: "MustExist" }] },
        }),
      ]),
    );
    expect(problems.map((p) => p.message)).toEqual([
      "assign x can't change metadata",
      "all subpaths must be a prefix of the `location` value of the mutation",
    ]);
  });

  it("mutators apply in (group, kind, namespace, name) order, again until an iteration changes nothing: the last one wins", () => {
    const on = mutator("Assign", "a-on", { location: "spec.hostNetwork", parameters: { assign: { value: true } } });
    const off = mutator("Assign", "b-off", { location: "spec.hostNetwork", parameters: { assign: { value: false } } });
    expect(mutate([off, on], pod({ hostNetwork: true }))).toMatchObject({ kind: "mutated", object: { spec: { hostNetwork: false } } });
    expect(mutate([off, on], pod({}))).toMatchObject({ kind: "mutated", object: { spec: { hostNetwork: false } } });
  });

  it("applies only where applyTo and match select the object", () => {
    const a = mutator("Assign", "a", {
      location: "spec.hostNetwork",
      parameters: { assign: { value: false } },
      match: { namespaces: ["prod"] },
    });
    expect(mutate([a], pod({ hostNetwork: true }))).toEqual({ kind: "skip" });
    expect(mutate([a], pod({ hostNetwork: true }, { namespace: "prod" }))).toMatchObject({ object: { spec: { hostNetwork: false } } });
  });
});
