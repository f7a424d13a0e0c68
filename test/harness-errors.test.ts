/** Bad test input: located errors, exit 2, never a stack trace. */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "./support/helpers.js";

function copy(from: string): string {
  const dir = tempDir("policyc-bad-input-");
  cpSync(path.join(ROOT, from), dir, { recursive: true });
  return dir;
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);

describe("bad test input", () => {
  it("a fixture with invalid YAML names the file, line and column", async () => {
    const dir = copy("policies");
    writeFileSync(path.join(dir, "fixtures/pod-privileged.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n");
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fixtures\/pod-privileged\.yaml:\d+:\d+: invalid YAML/);
    noStack(r.err);
  });

  it("a fixture that is not a Kubernetes object (no apiVersion/kind)", async () => {
    const dir = copy("policies");
    writeFileSync(path.join(dir, "fixtures/pod-privileged.yaml"), "metadata:\n  name: x\n");
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fixtures\/pod-privileged\.yaml:1:1: document 1 is not a Kubernetes object: apiVersion and kind are required/);
  });

  it("an empty fixture file", async () => {
    const dir = copy("policies");
    writeFileSync(path.join(dir, "fixtures/pod-privileged.yaml"), "# nothing here\n");
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fixtures\/pod-privileged\.yaml: the file holds no YAML document/);
  });

  it("a Kyverno test with malformed fields", async () => {
    const dir = copy("test/kyverno/validating-policy");
    const file = path.join(dir, "kyverno-test.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("policies:\n  - policy.yaml\n", "policies: policy.yaml\n"));
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kyverno-test\.yaml: policies must be a list of file paths/);
    noStack(r.err);
  });

  it("a Kyverno test naming a missing resource file", async () => {
    const dir = copy("test/kyverno/validating-policy");
    const file = path.join(dir, "kyverno-test.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("resources.yaml", "nope.yaml"));
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\.yaml: fixture file not found/);
  });

  it("a gator suite test without a template", async () => {
    const dir = copy("test/gator/unique-ingress-host");
    const file = path.join(dir, "suite.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("    template: template.yaml\n", ""));
    const r = await cli(["verify", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/suite\.yaml: test unique-ingress-host: template and constraint are required/);
  });

  it("unknown options", async () => {
    const r = await cli(["test", "--no-such-option"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--no-such-option'/);
  });
});
