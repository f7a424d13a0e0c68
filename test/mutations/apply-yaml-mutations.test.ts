import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, tempDir } from "../support/helpers.js";

const POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: nginx}]\n";
const MAP = (expression: string) => `apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata:
  name: boom
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [pods]
  mutations:
    - patchType: JSONPatch
      jsonPatch:
        expression: >
          ${expression}
`;
const write = (files: Record<string, string>) => {
  const dir = tempDir("policyc-yaml-mut-");
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
};

describe("apply with mutation documents of --policy (MutatingAdmissionPolicy, MutatingPolicy, Gatekeeper mutators)", () => {
  it("a user's mutation that explodes in size is stopped: an error row located at its document", async () => {
    const big = `[JSONPatch{op: "add", path: "/metadata/annotations", value: {"big": lists.range(40000).map(i, "${"0123456789".repeat(10)}").join("")}}]`;
    const dir = write({ "pod.yaml": POD, "boom.yaml": MAP(big) });
    const r = await cli(["apply", "pod.yaml", "--policy", "boom.yaml", "--reporter", "json"], dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as {
      results: { policy: string; status: string; location?: { file: string; line: number }; messages: string[] }[];
    };
    const row = report.results.find((x) => x.policy === "boom")!;
    expect(row.status).toBe("error");
    expect(row.messages.join("")).toContain(
      "MutatingAdmissionPolicy boom (boom.yaml:1): the mutation grew Pod/default/p past 3145728 bytes: stopped",
    );
  }, 120_000);

  it("a mutation document that does not compile is bad input, at its line and column", async () => {
    const dir = write({ "pod.yaml": POD, "boom.yaml": MAP(`[JSONPatch{op: "add", path: 1}]`) });
    const r = await cli(["apply", "pod.yaml", "--policy", "boom.yaml"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /boom\.yaml:16:\d+ invalid_fixture MutatingAdmissionPolicy boom: compilation failed: .*expected type of field .path. is .string./,
    );
  }, 120_000);

  it("a Gatekeeper mutator policyc cannot evaluate faithfully (assignIf) is bad input, never applied more broadly", async () => {
    const assign = `apiVersion: mutations.gatekeeper.sh/v1
kind: Assign
metadata: {name: pull}
spec:
  applyTo: [{groups: [""], kinds: [Pod], versions: [v1]}]
  location: "spec.containers[name: *].imagePullPolicy"
  parameters:
    assign: {value: Always}
    assignIf: {in: [IfNotPresent]}
`;
    const dir = write({ "pod.yaml": POD, "assign.yaml": assign });
    const r = await cli(["apply", "pod.yaml", "--policy", "assign.yaml"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/assign\.yaml:\d+:\d+ invalid_fixture .*assignIf is not evaluated/);
  }, 120_000);

  it("Gatekeeper mutators mutate before the YAML validations, and --mutate-out writes the result", async () => {
    const assign = `apiVersion: mutations.gatekeeper.sh/v1
kind: Assign
metadata: {name: no-escalation}
spec:
  applyTo: [{groups: [""], kinds: [Pod], versions: [v1]}]
  location: "spec.containers[name: *].securityContext.allowPrivilegeEscalation"
  parameters:
    assign: {value: false}
`;
    const vap = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-escalation}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
    - expression: "object.spec.containers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)"
      message: escalation
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-escalation}
spec: {policyName: no-escalation, validationActions: [Deny]}
`;
    const dir = write({ "pod.yaml": POD, "policies/assign.yaml": assign, "policies/vap.yaml": vap });
    const r = await cli(["apply", "pod.yaml", "--policy", "policies", "--mutate-out", "out"], dir);
    expect(r.code, r.out + r.err).toBe(0);
    expect(readFileSync(path.join(dir, "out", "pod.yaml"), "utf8")).toContain("allowPrivilegeEscalation: false");
    const raw = await cli(["apply", "pod.yaml", "--policy", "policies", "--no-mutate"], dir);
    expect(raw.code).toBe(1);
  }, 120_000);
});
