/** Existing `gator verify` suites, run unchanged by `policyc verify` / `policyc test`. */
import { describe, expect, it } from "vitest";
import { cli } from "../support/helpers.js";

interface Row {
  policy: string;
  case: string;
  expected: string;
  actual: string | number;
  status: string;
  messages: string[];
  engine: string;
}

describe("gator suites", () => {
  it("run with per-assertion rows: Rego v0 with a lib, AdmissionReview objects, counts and messages", async () => {
    const r = await cli(["verify", "test/gator/required-labels", "--reporter", "json"]);
    expect(r.err).not.toMatch(/bad input/);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as { results: Row[] }).results;
    const by = (c: string) => rows.filter((x) => x.case === c).map((x) => [x.expected, x.actual, x.status]);
    expect(by("labelled-namespace")).toEqual([["violations: no", 0, "pass"]]);
    expect(by("unlabelled-namespace")).toEqual([
      ["violations: yes", 1, "pass"],
      ['violations: 1, message =~ "you must provide labels: \\\\{\\"owner\\", \\"team\\"\\\\}"', 1, "pass"],
      ['violations: no, message =~ "allowed regex"', 0, "pass"],
    ]);
    expect(rows.find((x) => x.case === "unlabelled-namespace")!.messages).toEqual(['you must provide labels: {"owner", "team"}']);
    expect(by("excluded-namespace")).toEqual([["violations: no", 0, "pass"]]);
    // The userInfo of the AdmissionReview reaches input.review.userInfo.
    expect(by("admission-review-unlabelled-pod-from-a-controller")).toEqual([
      ["violations: 2", 2, "pass"],
      ['violations: 1, message =~ "service accounts of kube-system"', 1, "pass"],
    ]);
    expect(new Set(rows.map((x) => x.engine))).toEqual(new Set(["gatekeeper"]));
  });

  it("inventory objects are data.inventory as Gatekeeper syncs them", async () => {
    const r = await cli(["test", "test/gator/unique-ingress-host/suite.yaml", "--reporter", "json"]);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as { results: Row[] }).results;
    expect(rows.map((x) => [x.case, x.actual])).toEqual([
      ["host-taken-in-another-namespace", 1],
      ["only-itself-in-inventory", 0],
      ["empty-inventory", 0],
    ]);
  });

  it("an assertion that does not hold fails the run", async () => {
    const { mkdtempSync, cpSync, readFileSync, writeFileSync } = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = mkdtempSync(path.join(os.tmpdir(), "policyc-gator-"));
    cpSync("test/gator/unique-ingress-host", dir, { recursive: true });
    const suite = path.join(dir, "suite.yaml");
    writeFileSync(suite, readFileSync(suite, "utf8").replace("- violations: 1\n", "- violations: 2\n"));
    const r = await cli(["verify", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const row = (JSON.parse(r.out) as { results: Row[] }).results[0]!;
    expect(row).toMatchObject({ status: "fail", actual: 1 });
  });

  it("a template that does not compile is bad input: exit 2 naming the template and the Rego line", async () => {
    const r = await cli(["verify", "test/gator/broken"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^test\/gator\/broken\/template\.yaml:17:9 invalid_template ConstraintTemplate k8sbroken: rego_parse_error: /m);
  });

  it("YAML as Go reads it: an under-indented continuation of a quoted description, and YAML 1.1 booleans (yes, on) in objects", async () => {
    const r = await cli(["verify", "test/gator/go-yaml", "--reporter", "json"]);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as { results: Row[] }).results;
    expect(rows.map((x) => [x.case, x.actual, x.status])).toEqual([
      ["yes-is-true", 1, "pass"],
      ["yes-is-true", 1, "pass"],
      ["allowed-port", 0, "pass"],
    ]);
  });

  it("YAML that Go rejects too is bad input, reported once however many tests read the file", async () => {
    const { mkdtempSync, cpSync, readFileSync, writeFileSync } = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "policyc-gator-")), "go-yaml");
    cpSync("test/gator/go-yaml", dir, { recursive: true });
    const template = path.join(dir, "template.yaml");
    // Without its closing quote the description runs to the end of the file, in Go's reader too.
    writeFileSync(template, readFileSync(template, "utf8").replace('  a constraint allows."', "  a constraint allows."));
    const suite = path.join(dir, "suite.yaml");
    const text = readFileSync(suite, "utf8");
    writeFileSync(suite, text + text.slice(text.indexOf("  - name: host-network-ports")).replace("host-network-ports", "again"));
    const r = await cli(["verify", dir]);
    expect(r.code).toBe(2);
    expect(r.err.match(/template\.yaml:9:\d+ invalid_fixture invalid YAML/g)).toHaveLength(1);
  });

  it("gator's command line: DIR/... walks the folder, --run picks test/case ids by regular expression, -v prints passing cases", async () => {
    const r = await cli(["verify", "test/gator/required-labels/...", "--run", "required-labels/(owner|excluded)", "-v"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("✓ owner-does-not-match");
    expect(r.out).toContain("✓ excluded-namespace");
    expect(r.out).not.toContain("labelled-namespace");
    expect(r.out).toMatch(/OK {2}2 cases/);
    // Without -v, passing cases are summarized, not listed.
    const quiet = await cli(["verify", "test/gator/required-labels/..."]);
    expect(quiet.code).toBe(0);
    expect(quiet.out).not.toContain("✓");
    expect(quiet.out).toContain("-v prints them");
    const none = await cli(["verify", "test/gator/required-labels/...", "--run", "^nothing$"]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('--run "^nothing$" matched none');
    const bad = await cli(["verify", "test/gator/required-labels", "--run", "("]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--run is not a valid regular expression");
  });
  /** A scratch copy of test/gator/required-labels with `edit` applied to the file `name`. */
  const variant = async (name: string, edit: (text: string) => string) => {
    const { mkdtempSync, cpSync, readFileSync, writeFileSync } = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "policyc-gator-")), "required-labels");
    cpSync("test/gator/required-labels", dir, { recursive: true });
    writeFileSync(path.join(dir, name), edit(readFileSync(path.join(dir, name), "utf8")));
    return dir;
  };

  it("scopedEnforcementActions count where they name gator's enforcement point (or *), not the webhook's alone", async () => {
    const scoped = (points: string) => (t: string) =>
      t.replace(
        "enforcementAction: deny",
        `enforcementAction: scoped\n  scopedEnforcementActions:\n    - action: deny\n      enforcementPoints:\n${points}`,
      );
    const webhookOnly = await variant("constraint.yaml", scoped('        - name: "validation.gatekeeper.sh"\n'));
    const r = await cli(["verify", webhookOnly, "--reporter", "json", "--run", "unlabelled-namespace"]);
    const rows = (JSON.parse(r.out) as { results: Row[] }).results;
    // Not enforced at gator's point: no violations, so "violations: yes" fails.
    expect(rows.map((x) => [x.expected, x.actual, x.status])[0]).toEqual(["violations: yes", 0, "fail"]);
    for (const points of [
      '        - name: "gator.gatekeeper.sh"\n',
      '        - name: "*"\n',
      '        - name: "validation.gatekeeper.sh"\n        - name: "gator.gatekeeper.sh"\n',
    ]) {
      const dir = await variant("constraint.yaml", scoped(points));
      const ok = await cli(["verify", dir, "--reporter", "json"]);
      expect(ok.code, points).toBe(0);
    }
  });

  it("every field of a suite is read or refused by name: an unknown one, and invalid: true, are exit 2 where they are", async () => {
    const unknown = await variant("suite.yaml", (t) =>
      t.replace("        object: ns-good.yaml\n", "        object: ns-good.yaml\n        objects: [ns-good.yaml]\n"),
    );
    const r = await cli(["verify", unknown]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /suite\.yaml:12:\d+ invalid_suite objects is not a field of gator's Suite \(it reads name, object, inventory, skip, assertions\)/,
    );
    const invalid = await variant("suite.yaml", (t) =>
      t.replace("    constraint: constraint.yaml\n", "    constraint: constraint.yaml\n    invalid: true\n"),
    );
    const i = await cli(["verify", invalid]);
    expect(i.code).toBe(2);
    expect(i.err).toMatch(/invalid_suite invalid: invalid: true expects the constraint to fail its template's parameter schema/);
  });

  it("a suite marked skip runs none of its tests", async () => {
    const dir = await variant("suite.yaml", (t) => t.replace("tests:\n", "skip: true\ntests:\n"));
    const r = await cli(["verify", dir]);
    expect(r.code).toBe(1);
    expect(r.err + r.out).toMatch(/no test|nothing|0 cases/i);
  });
});
