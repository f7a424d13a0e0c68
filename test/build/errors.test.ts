import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "../support/helpers.js";

/**
 * Each folder under test/errors holds invalid policies. The build must stop with exit 2, name
 * the file, line and field, and leave the output directory as it was.
 */
const CASES = [
  { dir: "bad-name", code: "invalid_name", file: "policy.ts", line: 4, path: "name" },
  { dir: "bad-regex", code: "invalid_regex", file: "policy.ts", line: 7, path: "rules[0].assert.body" },
  { dir: "bad-params", code: "invalid_params", file: "policy.ts", line: 9, path: "instances[1].params.registries" },
  { dir: "duplicate", code: "duplicate_policy_name", file: "b.ts", line: 4, path: "name" },
  { dir: "throws", code: "policy_load_error", file: "policy.ts", line: 3, path: "" },
  { dir: "exports-nothing", code: "no_policy_exported", file: "policy.ts", line: 1, path: "" },
  { dir: "unknown-kind", code: "unknown_kind", file: "policy.ts", line: 6, path: "match.kinds[0].kind" },
  { dir: "message-scope", code: "message_variable_out_of_scope", file: "policy.ts", line: 7, path: "rules[0].message" },
  { dir: "missing-field", code: "invalid_policy", file: "policy.ts", line: 4, path: "rules" },
  { dir: "wrong-type", code: "invalid_policy", file: "policy.ts", line: 7, path: "severity" },
  { dir: "lone-surrogate", code: "invalid_policy", file: "policy.ts", line: 7, path: "rules[0].message" },
  // A bad regular expression in a parameter value is the user's error at the instance, never generated code an engine rejects.
  { dir: "param-regex", code: "invalid_params", file: "policy.ts", line: 9, path: "instances[1].params.pattern" },
  // A message inside or() cannot say which check failed: an error at that message.
  { dir: "message-in-or", code: "invalid_policy", file: "policy.ts", line: 8, column: 51, path: "" },
  // A wrong argument is reported at the offending call (line and column), not at validate:.
  { dir: "sdk-call", code: "invalid_policy", file: "policy.ts", line: 7, column: 123, path: "" },
  { dir: "namespace-precondition", code: "unsupported_by_target", file: "policy.ts", line: 6, path: "when" },
  // A misspelled field, parameter, or a custom kind that declares no fields never builds into a rule that cannot fire.
  { dir: "unknown-field", code: "unknown_field", file: "policy.ts", line: 7, column: 40, path: "" },
  { dir: "unknown-param", code: "unknown_field", file: "policy.ts", line: 7, column: 101, path: "" },
  // The API server refuses a validation message with a line break: the CEL targets cannot carry it.
  { dir: "message-line-break", code: "unsupported_by_target", file: "policy.ts", line: 7, path: "rules[0].message" },
  // foo-bar and foobar make the same ConstraintTemplate name.
  { dir: "template-collision", code: "duplicate_policy_name", file: "b.ts", line: 4, path: "name" },
  // Gatekeeper would glob kube-*, the CEL targets cannot: a build error, not a disagreement at test time.
  { dir: "namespace-glob", code: "invalid_policy", file: "policy.ts", line: 5, path: "match.excludeNamespaces[0]" },
  // A literal list OPA's Wasm compiler cannot compile in bounded memory: a build error, not a crash at test time.
  { dir: "rego-literal-limit", code: "unsupported_by_target", file: "policy.ts", line: 9, path: "" },
  { dir: "custom-kind-unchecked", code: "invalid_policy", file: "policy.ts", line: 4, column: 16, path: "" },
  // A parameter of the wrong type would build a rule that denies (or allows) everything: refused at the call, like a misspelled field.
  { dir: "param-type-string-number", code: "type_mismatch", file: "policy.ts", line: 7, column: 44, path: "" },
  { dir: "param-type-list-scalar", code: "type_mismatch", file: "policy.ts", line: 7, column: 81, path: "" },
  { dir: "param-type-quantity", code: "type_mismatch", file: "policy.ts", line: 7, column: 95, path: "" },
  // An exception naming a policy no file exports: at the entry that names it.
  { dir: "exception-unknown-policy", code: "unknown_policy", file: "policy.ts", line: 19, column: 5, path: "policies[1]" },
  { dir: "exception-no-reason", code: "invalid_exception", file: "policy.ts", line: 14, path: "reason" },
  { dir: "exception-missing-reason", code: "invalid_exception", file: "policy.ts", line: 11, path: "reason" },
  // Kyverno's PolicyException cannot read namespace labels: a build error naming the target, never a broader exemption.
  { dir: "exception-namespace-labels", code: "unsupported_by_target", file: "policy.ts", line: 14, path: "match.namespaceLabels" },
] as const satisfies readonly { dir: string; code: string; file: string; line: number; column?: number; path: string }[];

describe("invalid policies stop the build with a located error", () => {
  it.each(CASES)("$dir: $code at $file:$line", async (c) => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "errors", c.dir), path.join(work, "policies"), { recursive: true });
    // A previous good build the failing one must not touch.
    cpSync(path.join(ROOT, "generated"), path.join(work, "generated"), { recursive: true });
    const before = readFileSync(path.join(work, "generated", "kyverno", "restrict-wildcard-verbs.yaml"), "utf8");
    const r = await cli(["build", "--reporter", "json"], work);
    expect(r.code).toBe(2);
    const issues = (JSON.parse(r.out) as { issues: { code: string; source?: { file: string; line: number }; path: (string | number)[] }[] })
      .issues;
    const found = issues.find((i) => i.code === c.code);
    expect(found, JSON.stringify(issues)).toBeDefined();
    expect(found!.source?.file).toBe(`policies/${c.file}`);
    expect(found!.source?.line).toBe(c.line);
    if ("column" in c) expect((found!.source as { column?: number } | undefined)?.column).toBe(c.column);
    const p = found!.path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
    expect(p).toBe(c.path);
    expect(readFileSync(path.join(work, "generated", "kyverno", "restrict-wildcard-verbs.yaml"), "utf8")).toBe(before);
  });

  it("a misspelled field stops build and test alike, with its location and a suggestion", async () => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "errors", "unknown-field"), path.join(work, "policies"), { recursive: true });
    for (const command of ["build", "test"]) {
      const r = await cli([command], work);
      expect(r.code, command).toBe(2);
      expect(r.err).toMatch(
        /^policies\/policy\.ts:7:40 unknown_field object\.spec\.hostNetwrk: PodSpec has no field "hostNetwrk"; did you mean "hostNetwork"\?/m,
      );
    }
  });

  it("a parameter of another type than the field it is compared with stops build and test alike (max: z.string() against replicas)", async () => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "errors", "param-type-string-number"), path.join(work, "policies"), { recursive: true });
    for (const command of ["build", "test"]) {
      const r = await cli([command], work);
      expect(r.code, command).toBe(2);
      expect(r.err).toMatch(/^policies\/policy\.ts:7:44 type_mismatch lte\(\) orders numbers, and params\.max is a string/m);
    }
  });

  it("prints pretty errors as file:line:col code message", async () => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "errors", "bad-regex"), path.join(work, "policies"), { recursive: true });
    const r = await cli(["build"], work);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^policies\/policy\.ts:7:\d+ invalid_regex invalid regular expression "\^\(\?=registry\)"/m);
  });

  it("rejects unknown options and targets with exit 2", async () => {
    expect((await cli(["build", "--no-such-flag"])).code).toBe(2);
    expect((await cli(["build", "--targets", "kyverno,opa"])).code).toBe(2);
  });

  it("reports a missing policies directory with exit 2", async () => {
    const r = await cli(["build", "--policies", "does-not-exist"], tempDir());
    expect(r.code).toBe(2);
    expect(r.err).toContain("does-not-exist");
  });

  it("refuses to overwrite an output directory holding files policyc did not write", async () => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "starter"), path.join(work, "policies"), { recursive: true });
    cpSync(path.join(ROOT, "generated"), path.join(work, "generated"), { recursive: true });
    writeFileSync(path.join(work, "generated", "kustomization.yaml"), "resources: []\n");
    const r = await cli(["build"], work);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unowned_output_file");
    expect(readFileSync(path.join(work, "generated", "kustomization.yaml"), "utf8")).toBe("resources: []\n");
  });
});
