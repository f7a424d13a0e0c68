import { cpSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompiledMutation } from "../../src/build/index.js";
import { CelRuntime, ENGINE_NAMES } from "../../src/engines/index.js";
import { objectDiff, runMutationCases } from "../../src/harness/index.js";
import { buildDir, cli, ROOT, tempDir, withEnv } from "../support/helpers.js";
import { fuzzMutations } from "../fuzz/mutations.js";

let runtime: CelRuntime;
let library: readonly CompiledMutation[];
beforeAll(async () => {
  runtime = await CelRuntime.get();
  const built = await buildDir("policies/mutations");
  expect(built.status).toBe("ok");
  library = built.mutations!;
}, 120_000);

const byName = (name: string) => library.find((m) => m.mutation.name === name)!;

/** A compiled mutation with one target's documents edited. */
function tampered(m: CompiledMutation, target: string, edit: (doc: Record<string, unknown>) => void): CompiledMutation {
  const outputs = m.outputs.map((o) => {
    const documents = structuredClone(o.documents);
    if (o.target === target) documents.forEach((d) => edit(d as Record<string, unknown>));
    return { ...o, documents };
  });
  return { ...m, outputs };
}

describe("mutation cases run on every engine and are compared", () => {
  it("the five library mutations pass their cases on all four engines, with no disagreement", () => {
    const r = runMutationCases(library, ENGINE_NAMES, { cel: runtime }, ROOT);
    expect(r.issues).toEqual([]);
    expect(r.disagreements).toBe(0);
    expect(new Set(r.rows.map((x) => x.policy)).size).toBe(5);
    expect(new Set(r.rows.map((x) => x.engine))).toEqual(new Set(["kyverno", "kubernetes", "gatekeeper", "reference"]));
    expect(r.rows.filter((x) => x.status !== "pass")).toEqual([]);
    // Gatekeeper is skipped by the mutations it cannot express: no rows, never a silent pass.
    expect(r.rows.some((x) => x.policy === "rewrite-image-registry" && x.engine === "gatekeeper")).toBe(false);
  });

  it("an engine whose result differs is a disagreement, with a structural diff against the reference engine", () => {
    const m = tampered(byName("set-image-pull-policy"), "gatekeeper", (doc) => {
      (doc.spec as { parameters: { assign: { value: string } } }).parameters.assign.value = "Never";
    });
    const r = runMutationCases([m], ENGINE_NAMES, { cel: runtime }, ROOT);
    expect(r.disagreements).toBe(1);
    const row = r.rows.find((x) => x.engine === "gatekeeper")!;
    expect(row.status).toBe("fail");
    expect(row.cause).toMatchObject({ kind: "disagreement" });
    const mismatch = (row.cause as { mismatch: string }).mismatch;
    expect(mismatch).toContain('~ spec.containers[name: a].imagePullPolicy: "Always" → "Never"');
    // The engines that agree with the reference pass.
    expect(r.rows.filter((x) => x.engine !== "gatekeeper").every((x) => x.status === "pass")).toBe(true);
  });

  it("a mutation that changes its own result again is not idempotent: every engine's row says so", () => {
    const m = tampered(byName("set-image-pull-policy"), "kubernetes", (doc) => {
      if (doc.kind !== "MutatingAdmissionPolicy") return;
      const spec = doc.spec as { mutations: unknown[] };
      spec.mutations = [
        ...spec.mutations,
        {
          patchType: "JSONPatch",
          jsonPatch: {
            expression:
              'object.kind == "Pod" ? [JSONPatch{op: "add", path: "/metadata/annotations", value: {"n": string(has(object.metadata.annotations) ? int(object.metadata.annotations["n"]) + 1 : 1)}}] : []',
          },
        },
      ];
    });
    const r = runMutationCases([m], ["kubernetes"], { cel: runtime }, ROOT);
    const row = r.rows[0]!;
    expect(row.status).toBe("fail");
    expect(row.cause).toMatchObject({ kind: "mismatch" });
    const detail = (row.cause as { detail: string }).detail;
    expect(detail).toContain("not idempotent");
    expect(detail).toContain('~ metadata.annotations.n: "1" → "2"');
  });

  it("objectDiff matches named list items by name and says what was added, removed and changed", () => {
    expect(
      objectDiff(
        { spec: { containers: [{ name: "a", image: "x" }, { name: "b" }] }, metadata: { labels: { t: "1" } } },
        {
          spec: {
            containers: [
              { name: "b", image: "y" },
              { name: "a", image: "z" },
            ],
          },
          metadata: {},
        },
      ),
    ).toEqual(['- metadata.labels: {"t":"1"}', '~ spec.containers[name: a].image: "x" → "z"', '+ spec.containers[name: b].image: "y"']);
  });
});

describe("policyc test on mutations (CLI)", () => {
  const write = (files: Record<string, string>) => {
    const dir = tempDir("policyc-mut-");
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    return dir;
  };
  const MUTATION = (expectValue: string) => `import { defineMutation, forEachContainer, Pod, setDefault } from "policyc";
export default defineMutation({
  name: "no-escalation",
  match: { kinds: [Pod] },
  mutate: [forEachContainer({}, [setDefault("securityContext.allowPrivilegeEscalation", false)])],
  tests: [{ name: "defaulted", resource: "pod.yaml", fields: { "spec.containers.0.securityContext.allowPrivilegeEscalation": ${expectValue} } }],
});
`;
  const POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  containers:\n    - {name: app, image: nginx}\n";

  it("passes on every engine when the result is as expected", async () => {
    const dir = write({ "policies/m.ts": MUTATION("false"), "policies/pod.yaml": POD });
    const r = await cli(["test", "policies", "--reporter", "json"], dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { summary: { passed: number; disagreements: number } };
    expect(report.summary).toMatchObject({ passed: 4, disagreements: 0 });
  }, 60_000);

  it("fails (exit 1) with the field that differs when the expectation is wrong", async () => {
    const dir = write({ "policies/m.ts": MUTATION("true"), "policies/pod.yaml": POD });
    const r = await cli(["test", "policies"], dir);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain("spec.containers.0.securityContext.allowPrivilegeEscalation is false, expected true");
  }, 60_000);

  it("beside policies' cases, the mutation cases run on a second thread: the same report as on one", async () => {
    const dir = write({ "policies/m.ts": MUTATION("false"), "policies/pod.yaml": POD });
    cpSync(path.join(ROOT, "test", "starter"), path.join(dir, "policies", "starter"), { recursive: true });
    const untimed = (out: string) =>
      (JSON.parse(out) as { results: { durationMs?: number }[] }).results.map(({ durationMs: _ms, ...r }) => r);
    const threaded = await cli(["test", "policies", "--reporter", "json"], dir);
    const single = await withEnv("POLICYC_THREADS", "1", () => cli(["test", "policies", "--reporter", "json"], dir));
    expect([threaded.code, single.code]).toEqual([0, 0]);
    expect(untimed(threaded.out)).toEqual(untimed(single.out));
    const rows = untimed(single.out) as { policy?: string; actual?: string }[];
    // Both kinds of rows: the mutation's (one per engine) and the starter policies' cases.
    expect(rows.filter((r) => r.policy === "no-escalation" && r.actual === "mutated").length).toBe(4);
    expect(rows.length).toBeGreaterThan(8);
  }, 120_000);

  it("a misspelled path is exit 2, located at its file and line", async () => {
    const dir = write({
      "policies/m.ts": MUTATION("false").replace('allowPrivilegeEscalation", false', 'allowPrivilegeEscalaton", false'),
      "policies/pod.yaml": POD,
    });
    const r = await cli(["build", "--policies", "policies", "--out", "out"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/policies\/m\.ts:5:\d+ unknown_field .*did you mean allowPrivilegeEscalation/);
  }, 60_000);
});

describe("differential fuzzing of mutations (CI sample; npm run fuzz runs 2000)", () => {
  it("random mutations on random objects: the four results agree and mutating a result changes nothing", async () => {
    const r = await fuzzMutations(40, 20261207, runtime);
    expect(r.failure, JSON.stringify(r.failure, null, 2)).toBeUndefined();
    expect(r.runs).toBe(40);
    // The sample exercises changes, no-ops and objects the mutation does not match.
    expect(r.counts.mutated).toBeGreaterThan(10);
    expect(r.counts.skip).toBeGreaterThan(0);
  }, 600_000);
});
