/**
 * Bad test input: typed, located errors (code, file, line, column, field), exit 2, never a
 * stack trace — printed readably, and as JSON with --reporter json.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, copyWithEdits, jsonIssues, type JsonIssue } from "../support/helpers.js";

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);

/** Runs `policyc <command> <dir> --reporter json`: exit 2 and at least one issue; the first, returned. */
async function oneIssue(command: "test" | "verify", dir: string): Promise<JsonIssue & { where: string }> {
  const r = await cli([command, dir, "--reporter", "json"]);
  expect(r.code, r.err).toBe(2);
  noStack(r.err);
  const issues = jsonIssues(r.out);
  expect(issues.length, JSON.stringify(issues)).toBeGreaterThan(0);
  const i = issues[0]!;
  const file = i.source?.file ?? i.file ?? "";
  const where = `${path.basename(file)}${i.source ? `:${i.source.line}:${i.source.column}` : ""}`;
  return { ...i, where };
}

describe("bad fixtures", () => {
  it("invalid YAML names the file, line and column", async () => {
    const dir = copyWithEdits("test/starter", {
      "fixtures/pod-privileged.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
    });
    const i = await oneIssue("test", dir);
    expect(i.code).toBe("invalid_test_case");
    expect(i.message).toMatch(/fixtures\/pod-privileged\.yaml:\d+:\d+: invalid YAML/);
    // The pretty form: file:line:col code message.
    const r = await cli(["test", dir]);
    expect(r.err).toMatch(/^\S+\.ts:\d+:\d+ invalid_test_case .*fixtures\/pod-privileged\.yaml:\d+:\d+: invalid YAML/m);
    noStack(r.err);
  });

  it("a document that is not a Kubernetes object (no apiVersion/kind)", async () => {
    const i = await oneIssue("test", copyWithEdits("test/starter", { "fixtures/pod-privileged.yaml": "metadata:\n  name: x\n" }));
    expect(i.message).toMatch(
      /fixtures\/pod-privileged\.yaml:1:1: document 1 is not a Kubernetes object: apiVersion and kind are required/,
    );
  });

  it("an empty file", async () => {
    const i = await oneIssue("test", copyWithEdits("test/starter", { "fixtures/pod-privileged.yaml": "# nothing here\n" }));
    expect(i.message).toMatch(/fixtures\/pod-privileged\.yaml: the file holds no YAML document/);
  });

  it("a missing file, named by the case that refers to it", async () => {
    const i = await oneIssue("test", copyWithEdits("test/starter", { "fixtures/pod-privileged.yaml": null }));
    expect(i.code).toBe("invalid_test_case");
    expect(i.path).toEqual(["tests", expect.any(Number), "resource"]);
    expect(i.message).toMatch(/fixtures\/pod-privileged\.yaml: file not found/);
  });

  it("a path given on the command line that does not exist", async () => {
    const r = await cli(["test", "no/such/folder", "--reporter", "json"]);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)).toEqual([expect.objectContaining({ code: "missing_file", file: "no/such/folder" })]);
  });
});

describe("bad Kyverno CLI tests (kyverno-test.yaml)", () => {
  const edit = (f: (s: string) => string) => copyWithEdits("test/kyverno/validating-policy", { "kyverno-test.yaml": f });

  it("policies given as a string instead of a list", async () => {
    const i = await oneIssue(
      "test",
      edit((s) => s.replace("policies:\n  - policy.yaml\n", "policies: policy.yaml\n")),
    );
    expect(i).toMatchObject({ code: "invalid_suite", path: ["policies"], message: "policies must be a list of file paths" });
    expect(i.where).toMatch(/^kyverno-test\.yaml:\d+:\d+$/);
  });

  it("a result without a policy, at its line", async () => {
    const dir = edit((s) => s.replace(/^(\s+)- policy: (\S+)\n/m, "$1- rule: any\n"));
    const i = await oneIssue("test", dir);
    expect(i).toMatchObject({ code: "invalid_suite", path: ["results", 0, "policy"] });
    expect(i.where).toMatch(/^kyverno-test\.yaml:\d+:\d+$/);
  });

  it("a result whose result is not pass/fail/skip/error/warn", async () => {
    const i = await oneIssue(
      "test",
      edit((s) => s.replace(/result: (pass|fail)/, "result: passed")),
    );
    expect(i).toMatchObject({ code: "invalid_suite", message: "result must be one of pass, fail, skip, error, warn" });
    expect(i.path.slice(-1)).toEqual(["result"]);
  });

  it("a missing resource file", async () => {
    const i = await oneIssue(
      "test",
      edit((s) => s.replace("resources.yaml", "nope.yaml")),
    );
    expect(i).toMatchObject({ code: "missing_file", message: "file not found" });
    expect(i.file).toMatch(/nope\.yaml$/);
  });
});

describe("bad gator suites", () => {
  it("a test without a template, at the test's line", async () => {
    const dir = copyWithEdits("test/gator/unique-ingress-host", { "suite.yaml": (s) => s.replace("    template: template.yaml\n", "") });
    const i = await oneIssue("verify", dir);
    expect(i).toMatchObject({
      code: "invalid_suite",
      path: ["tests", 0, "template"],
      message: 'test "unique-ingress-host": template is required (a file path)',
    });
    expect(i.where).toBe("suite.yaml:6:5");
  });

  it("a case without an object", async () => {
    const dir = copyWithEdits("test/gator/unique-ingress-host", {
      "suite.yaml": (s) => s.replace("        object: ingress-new.yaml\n", ""),
    });
    const i = await oneIssue("verify", dir);
    expect(i).toMatchObject({ code: "invalid_suite", path: ["tests", 0, "cases", 0, "object"] });
  });

  it("tests that are not a list", async () => {
    const dir = copyWithEdits("test/gator/unique-ingress-host", { "suite.yaml": (s) => s.replace(/tests:\n[\s\S]*$/, "tests: none\n") });
    const i = await oneIssue("verify", dir);
    expect(i).toMatchObject({ code: "invalid_suite", path: ["tests"], message: "a gator Suite needs a tests list" });
    expect(i.where).toBe("suite.yaml:5:8");
  });

  it("a template without a Constraint kind", async () => {
    const dir = copyWithEdits("test/gator/unique-ingress-host", {
      "template.yaml": (s) => s.replace(/^ *kind: K8sUniqueIngressHost\n/m, ""),
    });
    const i = await oneIssue("verify", dir);
    expect(i).toMatchObject({ code: "invalid_template", path: ["spec", "crd", "spec", "names", "kind"] });
    expect(i.where).toMatch(/^template\.yaml:\d+:\d+$/);
  });

  it("a user's template whose Rego does not parse: exit 2, at the Rego's line in the YAML file", async () => {
    const i = await oneIssue("verify", copyWithEdits("test/gator/broken"));
    expect(i.code).toBe("invalid_template");
    expect(i.message).toMatch(/^ConstraintTemplate k8sbroken: rego_parse_error: .*\(Rego line 5\)$/);
    // `rego: |` is on line 12; Rego line 1 is file line 13, indented 8 spaces.
    expect(i.where).toBe("template.yaml:17:9");
  });
});

describe("bad command lines", () => {
  it("unknown options", async () => {
    const r = await cli(["test", "--no-such-option"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--no-such-option'/);
  });

  it("an unknown engine and a malformed shard", async () => {
    expect((await cli(["test", "--engine", "opa"])).err).toMatch(/unknown engine "opa"/);
    expect((await cli(["test", "--shard", "3/2"])).code).toBe(2);
  });
});
