/**
 * Inputs designed to be expensive end with a clear error (or an answer) in bounded time and
 * memory, never a hang or a crash: deep nesting, huge documents and lists, alias bombs,
 * catastrophic regexes, user Rego that loops or allocates without end. (CEL beyond the
 * Kubernetes cost budget: cel-engine.test.ts.) No timing assertions: vitest's test timeout is
 * what a hang would hit.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { definePolicy, Pod } from "../../src/sdk/index.js";
import { evaluate } from "../../src/testing/index.js";
import "../../src/testing/vitest.js";
import { cli, copyWithEdits, jsonIssues, tempDir } from "../support/helpers.js";

const podWith = (spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
spec:
${spec}
  containers:
    - name: app
      image: registry.example.com/app:1.0
`;

/** `policyc test` on the starter policies with pod-privileged.yaml replaced; its one issue. */
async function fixtureIssue(text: string) {
  const dir = copyWithEdits("test/starter", { "fixtures/pod-privileged.yaml": text });
  const r = await cli(["test", dir, "--reporter", "json"]);
  expect(r.code, r.err).toBe(2);
  return jsonIssues(r.out)[0]!;
}

describe("fixtures beyond the limits are refused, located", () => {
  it("nesting too deep for the YAML parser (5,000 levels)", async () => {
    const i = await fixtureIssue(podWith(`  extra: ${"{a: ".repeat(5000)}1${"}".repeat(5000)}`));
    expect(i.message).toMatch(/pod-privileged\.yaml:7:\d+: nests too deeply to parse \(policyc accepts at most 100 levels\)/);
  });

  it("nesting the parser handles but no real object has (150 levels)", async () => {
    const i = await fixtureIssue(podWith(`  extra: ${"{a: ".repeat(150)}1${"}".repeat(150)}`));
    expect(i.message).toMatch(/pod-privileged\.yaml:1:1: document 1 nests deeper than 100 levels/);
  });

  it("a document larger than the API server accepts (3 MiB)", async () => {
    const i = await fixtureIssue(podWith(`  extra: "${"x".repeat(3.2 * 2 ** 20)}"`));
    expect(i.message).toMatch(/document 1 is 3\.2 MiB, more than the API server accepts \(3 MiB\)/);
  });

  it("an alias bomb (billion laughs)", async () => {
    const lol = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 8 }, (_, k) => `${"bcdefghi"[k]}: &${"bcdefghi"[k]} [${Array(10).fill(`*${"abcdefgh"[k]}`).join(", ")}]`),
    ];
    const i = await fixtureIssue(podWith(`  extra:\n${lol.map((l) => `    ${l}`).join("\n")}`));
    expect(i.message).toMatch(/pod-privileged\.yaml:\d+:\d+: invalid YAML: .*alias/i);
  });

  it("nesting within the limit (90 levels) evaluates on every engine", async () => {
    const dir = copyWithEdits("test/starter", {
      "fixtures/pod-privileged.yaml": (s) => s.replace("spec:\n", `spec:\n  extra: ${"{a: ".repeat(90)}1${"}".repeat(90)}\n`),
    });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
  });
});

describe("expensive policies and fixtures within the limits answer", () => {
  const catastrophic = definePolicy({
    name: "catastrophic-regex",
    match: { kinds: [Pod] },
    validate: (pod) => pod.spec.containers.every((c) => c.name.matches("^(a+)+$")),
  });
  const manyContainers = definePolicy({
    name: "no-privileged-in-many",
    match: { kinds: [Pod] },
    validate: (pod) => pod.spec.containers.every((c) => c.securityContext.privileged.notEquals(true)),
  });

  it("a backtracking-catastrophic regex is linear on every engine (RE2 everywhere)", async () => {
    const pod = (name: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "x" },
      spec: { containers: [{ name, image: "i" }] },
    });
    expect(await evaluate(catastrophic, pod(`${"a".repeat(30000)}!`))).toDeny();
    expect(await evaluate(catastrophic, pod("a".repeat(30000)))).toAllow();
  });

  it("a policy with 200 KB of strings in its Rego (the Wasm module's memory is sized from the module, not 5 pages)", async () => {
    const allowed = Array.from(
      { length: 2400 },
      (_, i) => `registry.example.com/team-${i}/application-image-with-a-long-name-${i}:1.0.${i}`,
    );
    const big = definePolicy({
      name: "many-allowed-images",
      match: { kinds: [Pod] },
      // The CEL targets inline the list: longer than the API server compiles (100,000 characters).
      skip: { kyverno: "list too long for CEL", kubernetes: "list too long for CEL" },
      validate: (pod) => pod.spec.containers.every((c) => c.image.oneOf(allowed)),
    });
    const pod = (image: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "x" },
      spec: { containers: [{ name: "a", image }] },
    });
    expect(await evaluate(big, pod(allowed[2399]!), { engines: ["gatekeeper", "reference"] })).toAllow();
    expect(await evaluate(big, pod("nginx"), { engines: ["gatekeeper", "reference"] })).toDeny();
  });

  it("a Pod with 5,000 containers", async () => {
    const containers = Array.from({ length: 5000 }, (_, i) => ({ name: `c${i}`, image: "i", securityContext: { privileged: i === 4999 } }));
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, spec: { containers } };
    expect(await evaluate(manyContainers, pod)).toDeny();
  });
});

describe("a user's ConstraintTemplate too large for OPA's compiler", () => {
  it("ends with a located invalid_template, within the compiler's 2 GiB memory cap", async () => {
    const dir = tempDir();
    const items = Array.from({ length: 6000 }, (_, i) => `"registry.example.com/team-${i}/application-image-${i}:1.0.${i}"`).join(", ");
    writeFileSync(
      path.join(dir, "template.yaml"),
      `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sallowedimages
spec:
  crd:
    spec:
      names:
        kind: K8sAllowedImages
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sallowedimages
        allowed := {${items}}
        violation[{"msg": "not allowed"}] {
          c := input.review.object.spec.containers[_]
          not allowed[c.image]
        }
`,
    );
    writeFileSync(
      path.join(dir, "constraint.yaml"),
      "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedImages\nmetadata:\n  name: allowed\n",
    );
    writeFileSync(path.join(dir, "pod.yaml"), podWith("  hostNetwork: false"));
    writeFileSync(
      path.join(dir, "suite.yaml"),
      "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n  - name: big\n    template: template.yaml\n    constraint: constraint.yaml\n    cases:\n      - name: pod\n        object: pod.yaml\n        assertions:\n          - violations: yes\n",
    );
    const r = await cli(["test", path.join(dir, "suite.yaml"), "--reporter", "json", "--no-cache"]);
    expect(r.code).toBe(2);
    const issue = jsonIssues(r.out)[0]!;
    expect(issue.code).toBe("invalid_template");
    expect(issue.message).toMatch(/OPA's compiler failed on this module: .*out of memory/);
  }, 180_000);
});

describe("a user's ConstraintTemplate that never finishes is stopped", () => {
  const withRule = (rule: string) =>
    copyWithEdits("test/gator/required-labels", {
      "template.yaml": (s) =>
        s.replace(
          "        import data.lib.labels\n",
          `        import data.lib.labels\n\n${rule
            .split("\n")
            .map((l) => `        ${l}`)
            .join("\n")}\n`,
        ),
    });

  it("at --timeout: an error row naming the limit, and the run goes on to the next case", async () => {
    const dir = withRule('violation[{"msg": "slow"}] {\n  n := count([x | x := numbers.range(1, 100000000)[_]; x % 7 == 0])\n  n < 0\n}');
    const r = await cli(["verify", dir, "--timeout", "0.5", "--filter", "labelled-namespace", "--reporter", "json"]);
    expect(r.code).toBe(1);
    const results = (JSON.parse(r.out) as { results: { case: string; status: string; reason?: string }[] }).results;
    expect(new Set(results.map((x) => x.case))).toEqual(new Set(["labelled-namespace", "unlabelled-namespace"]));
    for (const x of results) expect(x).toMatchObject({ status: "error", reason: "evaluation stopped after 0.5 s (time limit)" });
  });

  it("at the Wasm memory limit: an error row saying it ran out of memory", async () => {
    const dir = withRule('violation[{"msg": "big"}] {\n  count(numbers.range(1, 300000000)) < 0\n}');
    const r = await cli(["verify", dir, "--timeout", "120", "--filter", "unlabelled-namespace", "--reporter", "json"]);
    expect(r.code).toBe(1);
    const results = (JSON.parse(r.out) as { results: { status: string; reason?: string }[] }).results;
    expect(results[0]).toMatchObject({
      status: "error",
      reason: expect.stringMatching(/ran out of memory \(limit 1024 MiB of Wasm memory\)/),
    });
  });
});
