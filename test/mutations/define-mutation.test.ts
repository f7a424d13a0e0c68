import { describe, expect, it } from "vitest";
import {
  addToSet,
  customKind,
  defaultLabel,
  defineMutation,
  Deployment,
  forEachContainer,
  Pod,
  removeFromSet,
  rewriteRegistry,
  set,
  setDefault,
} from "../../src/sdk/index.js";

const codes = (d: { issues: readonly { code: string }[] }) => d.issues.map((i) => i.code);

describe("defineMutation checks every change against the kind's fields, where it is written", () => {
  it("a misspelled field is unknown_field at the change's line, with the field it meant", () => {
    const d = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [setDefault("spec.securityContxt.runAsNonRoot", true)],
    });
    expect(d.mutation).toBeUndefined();
    expect(d.issues).toHaveLength(1);
    expect(d.issues[0]!.code).toBe("unknown_field");
    expect(d.issues[0]!.message).toContain("did you mean securityContext?");
    // The change's own line (three below the defineMutation call), in this file.
    expect(d.issues[0]!.source!.file).toBe(d.source.file);
    expect(d.issues[0]!.source!.line).toBe(d.source.line + 3);
  });

  it("a value of the wrong type is type_mismatch (a string into an integer field)", () => {
    const d = defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [setDefault("spec.terminationGracePeriodSeconds", "30")] });
    expect(codes(d)).toEqual(["type_mismatch"]);
    expect(d.issues[0]!.message).toContain("is a number, not a string");
  });

  it("a path through a list is refused: lists are walked with forEachContainer", () => {
    const d = defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [set("spec.containers.image", "x")] });
    expect(codes(d)).toEqual(["invalid_policy"]);
    expect(d.issues[0]!.message).toContain("spec.containers is a list");
  });

  it("set writes scalars: an object field is refused, and so is addToSet of a list of objects", () => {
    expect(codes(defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [set("spec.securityContext", true)] }))).toEqual([
      "invalid_policy",
    ]);
    expect(codes(defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [addToSet("spec.tolerations", ["x"])] }))).toEqual([
      "invalid_policy",
    ]);
  });

  it("two changes of one field that disagree are refused at the second", () => {
    const d = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [
        forEachContainer({}, [set("imagePullPolicy", "Always")]),
        forEachContainer({ lists: ["containers"] }, [set("imagePullPolicy", "Never")]),
      ],
    });
    expect(codes(d)).toEqual(["invalid_policy"]);
    expect(d.issues[0]!.message).toContain("two changes of containers[*].imagePullPolicy disagree");
  });

  it("the same change twice is not a conflict", () => {
    const d = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [setDefault("spec.hostNetwork", false), setDefault("spec.hostNetwork", false)],
    });
    expect(d.issues).toEqual([]);
  });

  it("container fields are checked against Container, map keys are free (resources.requests.cpu)", () => {
    const ok = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [forEachContainer({}, [setDefault("resources.requests.cpu", "100m")])],
    });
    expect(ok.issues).toEqual([]);
    const op = ok.mutation!.instances[0]!.steps[0]!.change;
    expect(op).toMatchObject({ op: "set", path: ["resources", "requests", "cpu"], keys: [2] });
    const bad = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [forEachContainer({}, [setDefault("securityContext.runAsNonroot", true)])],
    });
    expect(codes(bad)).toEqual(["unknown_field"]);
    expect(bad.issues[0]!.message).toContain("runAsNonRoot");
  });

  it("rewriteRegistry belongs inside forEachContainer; its hosts are registry hosts", () => {
    expect(
      codes(
        defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [rewriteRegistry({ from: "docker.io", to: "mirror.example.com" })] }),
      ),
    ).toEqual(["invalid_policy"]);
    expect(
      codes(
        defineMutation({
          name: "m",
          match: { kinds: [Pod] },
          mutate: [forEachContainer({}, [rewriteRegistry({ from: "docker.io", to: "mirror/x" })])],
        }),
      ),
    ).toEqual(["invalid_policy"]);
  });

  it("a Pod mutation also matches the pod controllers; another kind is mutated as itself", () => {
    const pod = defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [defaultLabel("team", "a")] }).mutation!;
    expect(pod.subject).toBe("pod");
    expect(pod.match.kinds.map((k) => k.kind)).toEqual(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]);
    const dep = defineMutation({ name: "m", match: { kinds: [Deployment] }, mutate: [setDefault("spec.replicas", 2)] }).mutation!;
    expect(dep.subject).toBe("resource");
    expect(dep.match.kinds.map((k) => k.kind)).toEqual(["Deployment"]);
  });

  it("a custom kind cannot be mutated yet (no schema types its changes for every target)", () => {
    const Widget = customKind({ apiVersion: "example.com/v1", kind: "Widget", unchecked: true });
    expect(codes(defineMutation({ name: "m", match: { kinds: [Widget] }, mutate: [set("spec.size", 1)] }))).toEqual(["unknown_kind"]);
  });

  it("removeFromSet values are deduplicated and typed like the list's items", () => {
    const d = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [forEachContainer({}, [removeFromSet("securityContext.capabilities.add", ["NET_RAW", "NET_RAW"])])],
    });
    expect(d.mutation!.instances[0]!.steps[0]!.change).toMatchObject({ values: ["NET_RAW"] });
    expect(
      codes(
        defineMutation({
          name: "m",
          match: { kinds: [Pod] },
          mutate: [forEachContainer({}, [addToSet("securityContext.capabilities.add", [1])])],
        }),
      ),
    ).toEqual(["type_mismatch"]);
  });

  it("label and annotation keys and label values are checked as the API server checks them (no string breaks out of a target)", () => {
    const bad = defineMutation({
      name: "m",
      match: { kinds: [Pod] },
      mutate: [defaultLabel('a"b', "x"), defaultLabel("team", "has space")],
    });
    expect(bad.issues.map((i) => i.message)).toEqual([
      "\"a\\\"b\" is not a valid label key: its name must be 1 to 63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric",
      "\"has space\" is not a valid label value: at most 63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric",
    ]);
    const ok = defineMutation({ name: "m", match: { kinds: [Pod] }, mutate: [defaultLabel("app.kubernetes.io/name", "")] });
    expect(ok.issues).toEqual([]);
  });

  it("a mutation's name follows the policy naming rules", () => {
    expect(codes(defineMutation({ name: "Bad_Name", match: { kinds: [Pod] }, mutate: [defaultLabel("a", "b")] }))).toContain(
      "invalid_name",
    );
  });
});
