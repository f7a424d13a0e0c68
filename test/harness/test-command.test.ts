/** `policyc test`: reports, exit codes, filter, shard, cache, bad input. */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "../support/helpers.js";

interface JsonReport {
  summary: Record<string, number>;
  results: {
    policy: string;
    rule: string;
    case: string;
    resource: string;
    engine: string;
    expected: string;
    actual: string | number;
    status: string;
    messages: string[];
    reason?: string;
  }[];
}
const json = (out: string) => JSON.parse(out) as JsonReport;

/** A copy of the starter policies in a temp folder, to edit. */
function policiesCopy(): string {
  const dir = tempDir("policyc-policies-");
  cpSync(path.join(ROOT, "test", "starter"), dir, { recursive: true });
  return dir;
}

const savedCache = process.env.POLICYC_CACHE_DIR;
afterEach(() => {
  if (savedCache === undefined) delete process.env.POLICYC_CACHE_DIR;
  else process.env.POLICYC_CACHE_DIR = savedCache;
});

describe("policyc test on the starter policies", () => {
  it("runs every case on all four engines; the JSON report has the documented shape", async () => {
    const r = await cli(["test", "--policies", "test/starter", "--reporter", "json"]);
    expect(r.code).toBe(0);
    const report = json(r.out);
    expect(Object.keys(report.summary).sort()).toEqual([
      "cases",
      "disagreements",
      "durationMs",
      "errors",
      "evaluations",
      "failed",
      "passed",
      "policies",
      "skipped",
      "warnings",
    ]);
    expect(report.summary).toMatchObject({ policies: 3, cases: 10, evaluations: 40, passed: 40, failed: 0, errors: 0, disagreements: 0 });
    expect(new Set(report.results.map((x) => x.engine))).toEqual(new Set(["kyverno", "kubernetes", "gatekeeper", "reference"]));
    for (const row of report.results) {
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining(["policy", "rule", "case", "resource", "engine", "expected", "actual", "status", "messages"]),
      );
    }
    const deny = report.results.find(
      (x) => x.engine === "gatekeeper" && x.expected === "deny" && x.policy === "disallow-privileged-containers",
    )!;
    expect(deny).toMatchObject({ actual: "deny", status: "pass", rule: "disallow-privileged-containers" });
    expect(deny.messages[0]).toMatch(/^Privileged container \w+ is not allowed$/);
    const skip = report.results.find((x) => x.expected === "skip" && x.engine === "gatekeeper")!;
    expect(skip.actual).toBe("none");
  });

  it("a second run compiles nothing (content-hash cache)", async () => {
    process.env.POLICYC_CACHE_DIR = tempDir("policyc-cache-");
    const first = await cli(["test", "--policies", "test/starter", "--reporter", "json", "--engine", "gatekeeper"]);
    expect(first.err).toContain("Rego cache: 3 compiled, 0 from cache");
    const second = await cli(["test", "--policies", "test/starter", "--reporter", "json", "--engine", "gatekeeper"]);
    expect(second.err).toContain("Rego cache: 0 compiled, 3 from cache");
    expect(json(second.out).summary.passed).toBe(json(first.out).summary.passed);
  });

  it("--version prints policyc's version and the engines' (OPA, cel-go, the Kubernetes libraries)", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(0);
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
    expect(r.out).toContain(`policyc ${version}`);
    expect(r.out).toMatch(/^OPA \d+\.\d+\.\d+ \(Debian golang-github-open-policy-agent-opa-dev /m);
    expect(r.out).toMatch(/^cel-go \d+\.\d+\.\d+ /m);
    expect(r.out).toMatch(/^Kubernetes libraries \d+\.\d+\.\d+ /m);
  });

  it("pretty output with -v shows every case, expected vs actual and the messages", async () => {
    const r = await cli(["test", "--policies", "test/starter", "-v"]);
    expect(r.out).toContain("PASS disallow-privileged-containers");
    expect(r.out).toMatch(/expected deny, got kyverno=deny kubernetes=deny gatekeeper=deny reference=deny/);
    expect(r.out).toContain("Privileged container app is not allowed");
    expect(r.out).toMatch(/OK {2}10 cases, 40 evaluations: 40 passed, 0 failed/);
  });

  it("junit is well-formed XML with one testcase per finding (a case's resource, its engines folded in and named)", async () => {
    const file = path.join(tempDir(), "report.xml");
    const r = await cli(["test", "--policies", "test/starter", "--reporter", "junit", "--output", file]);
    expect(r.code).toBe(0);
    const xml = readFileSync(file, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(10);
    expect(xml).toContain('<testsuites name="policyc" tests="10" failures="0" errors="0" skipped="0"');
    expect(xml.match(/<property name="engines" value="kyverno,kubernetes,gatekeeper,reference"\/>/g)).toHaveLength(10);
  });

  it("--engine selects engines; --filter narrows cases", async () => {
    const r = json(
      (await cli(["test", "--policies", "test/starter", "--reporter", "json", "--engine", "reference", "--filter", "privileged"])).out,
    );
    expect(new Set(r.results.map((x) => x.engine))).toEqual(new Set(["reference"]));
    expect(new Set(r.results.map((x) => x.policy))).toEqual(new Set(["disallow-privileged-containers", "require-app-name-label"]));
  });

  it("--shard I/N splits the cases so the shards cover each once", async () => {
    const ids = async (s: string) =>
      json(
        (await cli(["test", "--policies", "test/starter", "--reporter", "json", "--engine", "reference", "--shard", s])).out,
      ).results.map((x) => `${x.policy}/${x.case}`);
    const a = await ids("1/2");
    const b = await ids("2/2");
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((x) => b.includes(x))).toEqual([]);
    expect([...a, ...b].sort()).toEqual((await ids("1/1")).sort());
    expect((await cli(["test", "--shard", "3/2"])).code).toBe(2);
  });

  it("--shard I/N splits gator and Kyverno suites too: each case in exactly one shard", async () => {
    const suites = [
      "test/gator/required-labels",
      "test/gator/unique-ingress-host",
      "test/kyverno/autogen",
      "test/kyverno/default-namespace",
    ];
    const rows = async (s: string) =>
      json((await cli(["test", ...suites, "--reporter", "json", "--shard", s])).out).results.map(
        (x) => `${x.policy}/${x.case}/${x.resource}/${x.expected}`,
      );
    const a = await rows("1/2");
    const b = await rows("2/2");
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect([...a, ...b].sort()).toEqual((await rows("1/1")).sort());
  });
});

describe("failing cases and bad input", () => {
  it("a case whose expectation is wrong fails with exit 1, expected vs actual in every report", async () => {
    const dir = policiesCopy();
    const file = path.join(dir, "disallow-privileged-containers.ts");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        '{ resource: "fixtures/pod-unprivileged.yaml", expect: "allow" }',
        '{ resource: "fixtures/pod-unprivileged.yaml", expect: "deny" }',
      ),
    );
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const failed = json(r.out).results.filter((x) => x.status === "fail");
    expect(failed.map((x) => [x.engine, x.expected, x.actual])).toEqual([
      ["kyverno", "deny", "allow"],
      ["kubernetes", "deny", "allow"],
      ["gatekeeper", "deny", "allow"],
      ["reference", "deny", "allow"],
    ]);
    const pretty = await cli(["test", dir]);
    expect(pretty.code).toBe(1);
    expect(pretty.out).toMatch(
      /✗ deny fixtures\/pod-unprivileged.yaml .* expected deny, got kyverno=allow kubernetes=allow gatekeeper=allow reference=allow/,
    );
  });

  it("a wrong message expectation fails", async () => {
    const dir = policiesCopy();
    const file = path.join(dir, "disallow-privileged-containers.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('message: "Privileged container app"', 'message: "no such text"'));
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    expect(
      json(r.out)
        .results.filter((x) => x.status === "fail")
        .map((x) => x.reason),
    ).toEqual(Array(4).fill('no violation message contains "no such text"'));
  });

  it("a missing fixture is bad input: exit 2, naming the policy file, line and field", async () => {
    const dir = policiesCopy();
    const file = path.join(dir, "no-wildcard-verbs.ts");
    const text = readFileSync(file, "utf8").replace("fixtures/role-read-only.yaml", "fixtures/nope.yaml");
    writeFileSync(file, text);
    const line = text.split("\n").findIndex((l) => l.includes("fixtures/nope.yaml")) + 1;
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no-wildcard-verbs.ts:${line}:`);
    expect(r.err).toMatch(/tests\[0\]\.resource: .*fixtures\/nope\.yaml: file not found/);
  });

  it("a malformed case is bad input naming the field", async () => {
    const dir = policiesCopy();
    const file = path.join(dir, "no-wildcard-verbs.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('expect: "allow"', 'expect: "alow"'));
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no-wildcard-verbs\.ts:\d+:\d+ invalid_test_case tests\[0\]\.expect: Invalid option/);
  });

  it("usage errors exit 2", async () => {
    expect((await cli(["test", "--engine", "opa"])).code).toBe(2);
    expect((await cli(["test", "no/such/folder"])).code).toBe(2);
    expect((await cli(["test", "--reporter", "xml"])).code).toBe(2);
  });
});

describe("instances", () => {
  it("warns when another instance of the policy gives the case's resource another verdict (in a cluster both apply)", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "policies"));
    writeFileSync(
      path.join(dir, "policies", "registries.ts"),
      `import { definePolicy, Pod, z } from "policyc";
const pod = (image: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "shop" }, spec: { containers: [{ name: "app", image }] } });
export default definePolicy({
  name: "registries",
  match: { kinds: [Pod] },
  params: z.object({ registries: z.array(z.string()) }),
  instances: [
    { name: "prod", params: { registries: ["registry.example.com/"] } },
    { name: "dev", params: { registries: ["registry.example.com/", "ghcr.io/"] } },
  ],
  validate: (p, params) => p.spec.containers.every((c) => c.image.startsWith(params.registries).message\`\${c.image} is not allowed\`),
  tests: [
    { resource: pod("ghcr.io/x:1"), expect: "allow", instance: "dev" },
    { resource: pod("registry.example.com/x:1"), expect: "allow" },
  ],
});
`,
    );
    const r = await cli(["test"], dir);
    expect(r.code, r.err).toBe(0);
    const warnings = r.out.split("\n").filter((l) => l.includes("warning:"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/instance dev says allow, instance prod says deny; in a cluster both apply/);
  });
});
