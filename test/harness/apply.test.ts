/**
 * `policyc apply`: manifests (files, folders, standard input, Lists) against TypeScript and
 * existing YAML policies; exit codes by enforcement action; every reporter's output, validated
 * against its format's schema; colour by destination.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import AjvDraft04Module from "ajv-draft-04";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runCli } from "../../src/cli/index.js";
import type { Verdict } from "../../src/engines/index.js";
import { judgeAnswers, type EngineName, type ResultRow } from "../../src/harness/index.js";
import { cli, ROOT, tempDir } from "../support/helpers.js";
import { schemaErrors } from "../support/k8s-schema.js";

interface Row {
  policy: string;
  resource: string;
  engine: string;
  actual: string;
  status: string;
  messages: string[];
  enforcement?: string;
  reason?: string;
}
const rows = (out: string) => (JSON.parse(out) as { results: Row[] }).results;
const MANIFESTS = "test/apply/manifests";
const YAML_POLICIES = ["--policy", "test/apply/policies"];

/** Runs policyc with standard input and terminal settings of its own. */
async function run(args: string[], o: { stdin?: string; outIsTTY?: boolean; isTTY?: boolean; ci?: boolean } = {}) {
  let out = "";
  let err = "";
  const code = await runCli(args, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    cwd: ROOT,
    isTTY: o.isTTY ?? false,
    outIsTTY: o.outIsTTY ?? false,
    ci: o.ci ?? false,
    stdin: async () => o.stdin ?? "",
  });
  return { code, out, err };
}

describe("policyc apply", () => {
  it("evaluates a folder of manifests (multi-document YAML, a JSON List, a CRD and its resource) against existing YAML policies", async () => {
    const r = await cli(["apply", MANIFESTS, ...YAML_POLICIES, "--reporter", "json"]);
    expect(r.code, r.err).toBe(1);
    expect(rows(r.out).map((x) => [x.resource, x.policy, x.engine, x.actual, x.status, x.enforcement])).toEqual([
      ["ConfigMap/shop/labelled", "require-team-label", "kyverno", "allow", "pass", undefined],
      ["ConfigMap/shop/unlabelled", "require-team-label", "kyverno", "deny", "warn", "Audit"],
      ["Deployment/shop/checkout", "disallow-privileged", "kyverno", "deny", "fail", "Deny"],
      ["Service/shop/checkout", "no-node-ports", "kubernetes", "deny", "warn", "Warn"],
      // The CRD says Widget is cluster-scoped: no namespace is added.
      ["Widget/gadget", "widgets-small", "gatekeeper", "deny", "warn", "dryrun"],
    ]);
    expect(rows(r.out)[2]!.messages).toEqual(["privileged containers are not allowed: app"]);
  });

  it("reads standard input (-), and keeps each resource's file and line, List items included", async () => {
    const text = readFileSync(path.join(ROOT, MANIFESTS, "shop.yaml"), "utf8");
    const piped = await run(["apply", "-", ...YAML_POLICIES, "--reporter", "github"], { stdin: text });
    expect(piped.code).toBe(1);
    expect(piped.out.split("\n")[0]).toBe(
      "::error file=<stdin>,line=9,col=1,title=disallow-privileged::Deployment/shop/checkout — privileged containers are not allowed: app (kyverno)",
    );
    const list = await cli(["apply", `${MANIFESTS}/config-list.json`, ...YAML_POLICIES]);
    expect(list.code).toBe(0);
    expect(list.out).toContain("WARN ConfigMap/shop/unlabelled test/apply/manifests/config-list.json:11");
  });

  it("reads standard input from a pipe whose producer is slow, as in helm template | policyc apply -", () => {
    const manifest = path.join(ROOT, MANIFESTS, "shop.yaml");
    const policyc = `${JSON.stringify(process.execPath)} --import ${JSON.stringify(path.join(ROOT, "test/fuzz/register.mjs"))} ${JSON.stringify(path.join(ROOT, "test/support/policyc.ts"))}`;
    // The pipe is empty when policyc starts reading, and stays so for a second.
    const r = spawnSync(
      "sh",
      ["-c", `(sleep 1; cat ${JSON.stringify(manifest)}) | ${policyc} apply - --policy test/apply/policies --reporter json`],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    expect(r.stderr).not.toContain("EAGAIN");
    expect(r.status, r.stderr).toBe(1);
    expect(rows(r.stdout).some((x) => x.resource === "Deployment/shop/checkout" && x.actual === "deny")).toBe(true);
  }, 60_000);

  it("exits 1 only when an enforcing action denies; audit and warn findings exit 0 unless --fail-on names them", async () => {
    const findings = [`${MANIFESTS}/config-list.json`, `${MANIFESTS}/widgets.yaml`];
    expect((await cli(["apply", ...findings, ...YAML_POLICIES])).code).toBe(0);
    expect((await cli(["apply", ...findings, ...YAML_POLICIES, "--fail-on", "audit"])).code).toBe(1);
    expect((await cli(["apply", `${MANIFESTS}/config-list.json`, ...YAML_POLICIES, "--fail-on", "warn"])).code).toBe(0);
    expect((await cli(["apply", `${MANIFESTS}/shop.yaml`, ...YAML_POLICIES, "--fail-on", "warn", "--reporter", "json"])).code).toBe(1);
    const bad = await cli(["apply", MANIFESTS, ...YAML_POLICIES, "--fail-on", "everything"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--fail-on takes audit and/or warn");
  });

  it("evaluates TypeScript policies on every engine, all agreeing", async () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, "test/starter"), path.join(dir, "policies"), { recursive: true });
    writeFileSync(
      path.join(dir, "pod.yaml"),
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n    - name: app\n      image: nginx\n      securityContext: {privileged: true}\n",
    );
    // policies/ is the default when no --policy is given.
    const r = await cli(["apply", "pod.yaml", "--reporter", "json"], dir);
    expect(r.code).toBe(1);
    expect(
      rows(r.out)
        .filter((x) => x.policy === "disallow-privileged-containers")
        .map((x) => [x.engine, x.actual, x.status]),
    ).toEqual([
      ["kyverno", "deny", "fail"],
      ["kubernetes", "deny", "fail"],
      ["gatekeeper", "deny", "fail"],
      ["reference", "deny", "fail"],
    ]);
  });

  it("engines that disagree make every row of the policy an error, naming each engine's verdict", () => {
    const toRow = (engine: EngineName, v: Verdict): ResultRow => ({
      policy: "p",
      rule: "",
      case: "pod.yaml",
      resource: "Pod/shop/p",
      engine,
      expected: "allow",
      actual: v.kind === "skip" ? "none" : v.kind,
      status: v.kind === "deny" ? "fail" : "pass",
      messages: [],
    });
    const deny: Verdict = { kind: "deny", actions: ["Deny"], violations: [{ message: "no" }] };
    const judged = judgeAnswers(
      [
        { engine: "kyverno", verdict: deny },
        { engine: "gatekeeper", verdict: { kind: "allow" } },
      ],
      toRow,
    );
    expect(judged.disagreed).toBe(true);
    expect(judged.rows.map((r) => [r.engine, r.status, r.cause])).toEqual([
      ["kyverno", "error", { kind: "disagreement", verdicts: { kyverno: "deny", gatekeeper: "allow" } }],
      ["gatekeeper", "error", { kind: "disagreement", verdicts: { kyverno: "deny", gatekeeper: "allow" } }],
    ]);
    // A policy one engine does not evaluate (a background scan skipping it), or an error, is no disagreement.
    const quiet = judgeAnswers(
      [
        { engine: "kyverno", verdict: { kind: "skip", cause: { code: "not_evaluated", detail: "background" } } },
        { engine: "gatekeeper", verdict: deny },
      ],
      toRow,
    );
    expect(quiet.disagreed).toBe(false);
  });

  it("audit mode evaluates as background scans do: Kyverno skips policies with background disabled; VAPs are evaluated as a CREATE, and said so", async () => {
    const r = await cli(["apply", MANIFESTS, ...YAML_POLICIES, "--mode", "audit", "--reporter", "json"]);
    const got = rows(r.out).map((x) => [x.resource, x.policy, x.status]);
    expect(got).not.toContainEqual(["ConfigMap/shop/unlabelled", "require-team-label", "warn"]);
    expect(got).toContainEqual(["Widget/gadget", "widgets-small", "warn"]);
    expect(r.err).toContain("ValidatingAdmissionPolicies have no background scan: in audit mode they are evaluated as an admission CREATE");
  });

  it("bad input is exit 2: a missing file, a document that is not a policy, no policies at all", async () => {
    const missing = await cli(["apply", "no/such/dir", ...YAML_POLICIES]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^no\/such\/dir missing_file no such file or folder/m);
    const notPolicy = await cli(["apply", MANIFESTS, "--policy", `${MANIFESTS}/shop.yaml`]);
    expect(notPolicy.code).toBe(2);
    expect(notPolicy.err).toMatch(/shop\.yaml:3:\d+ invalid_fixture Namespace is not a policy document/);
    const none = await cli(["apply", MANIFESTS], tempDir());
    expect(none.code).toBe(2);
  });
});

describe("reporters", () => {
  it("SARIF 2.1.0, valid against the SARIF schema: one rule per policy with its description and severity, results at file:line", async () => {
    const r = await cli(["apply", MANIFESTS, ...YAML_POLICIES, "--reporter", "sarif"]);
    const log = JSON.parse(r.out) as {
      runs: {
        tool: { driver: { rules: { id: string; fullDescription?: { text: string }; properties: { severity?: string } }[] } };
        results: {
          ruleId: string;
          level: string;
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
        }[];
      }[];
    };
    const schema = JSON.parse(
      readFileSync(path.join(ROOT, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
    ) as object;
    const AjvDraft04 = (AjvDraft04Module as unknown as { default: typeof AjvDraft04Module }).default ?? AjvDraft04Module;
    const validate = new (
      AjvDraft04 as unknown as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } }
    )({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const rule = log.runs[0]!.tool.driver.rules.find((x) => x.id === "disallow-privileged")!;
    expect(rule.fullDescription?.text).toBe("Privileged containers share the host's kernel capabilities.");
    expect(rule.properties.severity).toBe("high");
    const result = log.runs[0]!.results.find((x) => x.ruleId === "disallow-privileged")!;
    expect(result.level).toBe("error");
    expect(result.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: "test/apply/manifests/shop.yaml" },
      region: { startLine: 9, startColumn: 1 },
    });
    expect(
      log.runs[0]!.results.filter((x) => x.level === "warning")
        .map((x) => x.ruleId)
        .sort(),
    ).toEqual(["no-node-ports", "require-team-label", "widgets-small"]);
    // For test, results are located at the case.
    const t = await cli(["test", "--policies", "test/starter", "--reporter", "sarif"]);
    expect(validate(JSON.parse(t.out))).toBe(true);
  });

  it("PolicyReports per namespace and a ClusterPolicyReport, valid against the wgpolicyk8s.io CRDs", async () => {
    const dir = tempDir();
    const r = await cli(
      ["apply", path.join(ROOT, MANIFESTS), "--policy", path.join(ROOT, "test/apply/policies"), "--reporter", "policy-report=reports.yaml"],
      dir,
    );
    expect(r.code).toBe(1);
    const docs = parseAllDocuments(readFileSync(path.join(dir, "reports.yaml"), "utf8")).map(
      (d) =>
        d.toJS() as {
          apiVersion: string;
          kind: string;
          metadata: { namespace?: string };
          summary: Record<string, number>;
          results: { policy: string; result: string }[];
        },
    );
    expect(docs.map((d) => [d.kind, d.metadata.namespace])).toEqual([
      ["ClusterPolicyReport", undefined],
      ["PolicyReport", "shop"],
    ]);
    for (const d of docs) expect(schemaErrors(d)).toEqual([]);
    expect(docs[1]!.summary).toEqual({ pass: 1, fail: 1, warn: 2, error: 0, skip: 0 });
    expect(docs[0]!.results.map((x) => [x.policy, x.result])).toEqual([["widgets-small", "warn"]]);
  });

  it("JUnit with per-case time, file and line, parsed as XML; several reporters in one run", async () => {
    const dir = tempDir();
    const r = await cli(
      [
        "test",
        path.join(ROOT, "test/starter"),
        "--reporter",
        "junit=out/report.xml",
        "--reporter",
        "json=out/report.json",
        "--reporter",
        "pretty",
      ],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain("cannot write the junit report to out/report.xml: its directory does not exist");
    const ok = await cli([
      "test",
      "--policies",
      "test/starter",
      "--reporter",
      `junit=${path.join(dir, "r.xml")}`,
      "--reporter",
      `json=${path.join(dir, "r.json")}`,
      "--reporter",
      "pretty",
    ]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/OK {2}10 cases/);
    const xml = readFileSync(path.join(dir, "r.xml"), "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml) as {
      testsuites: { testsuite: { testcase: { "@_time": string; "@_file": string; "@_line": string }[] }[] };
    };
    const c = parsed.testsuites.testsuite[0]!.testcase[0]!;
    expect(Number(c["@_time"])).toBeGreaterThanOrEqual(0);
    expect(c["@_file"]).toMatch(/^test\/starter\/.*\.ts$/);
    expect(Number(c["@_line"])).toBeGreaterThan(0);
    expect((JSON.parse(readFileSync(path.join(dir, "r.json"), "utf8")) as { summary: { passed: number } }).summary.passed).toBe(40);
    const two = await cli(["test", "--policies", "test/starter", "--reporter", "json", "--reporter", "junit"]);
    expect(two.code).toBe(2);
    expect(two.err).toContain("only one reporter can write to standard output");
  });

  it("GitHub workflow commands: chosen inside GitHub Actions when no reporter is named, exact lines", async () => {
    const before = process.env.GITHUB_ACTIONS;
    process.env.GITHUB_ACTIONS = "true";
    try {
      const r = await cli(["apply", `${MANIFESTS}/widgets.yaml`, `${MANIFESTS}/config-list.json`, ...YAML_POLICIES]);
      const lines = r.out.split("\n").filter((l) => l.startsWith("::"));
      expect(lines).toEqual([
        "::warning file=test/apply/manifests/widgets.yaml,line=21,col=1,title=widgets-small::Widget/gadget — Widget gadget is of size 3, more than 2 (gatekeeper)",
        "::warning file=test/apply/manifests/config-list.json,line=11,col=5,title=require-team-label::ConfigMap/shop/unlabelled — configmaps need a team label (kyverno)",
        "::notice title=policyc::3 evaluations: 1 passed, 0 failed, 0 errors, 2 warnings, 0 skipped",
      ]);
      expect(r.out).toContain("WARN Widget/gadget");
    } finally {
      if (before === undefined) delete process.env.GITHUB_ACTIONS;
      else process.env.GITHUB_ACTIONS = before;
    }
  });

  it("colour follows the destination: a terminal gets it, a pipe, a file, NO_COLOR and --no-color do not; FORCE_COLOR forces it on a pipe", async () => {
    const esc = "\u001b[";
    const args = ["apply", `${MANIFESTS}/shop.yaml`, ...YAML_POLICIES];
    const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
    delete process.env.NO_COLOR;
    delete process.env.FORCE_COLOR;
    try {
      expect((await run(args, { outIsTTY: true })).out).toContain(esc);
      // stderr a terminal, stdout piped: the report is plain.
      expect((await run(args, { outIsTTY: false, isTTY: true })).out).not.toContain(esc);
      expect((await run([...args, "--no-color"], { outIsTTY: true })).out).not.toContain(esc);
      const dir = tempDir();
      await run([...args, "--reporter", `pretty=${path.join(dir, "r.txt")}`], { outIsTTY: true });
      expect(readFileSync(path.join(dir, "r.txt"), "utf8")).not.toContain(esc);
      process.env.NO_COLOR = "1";
      expect((await run(args, { outIsTTY: true })).out).not.toContain(esc);
      delete process.env.NO_COLOR;
      process.env.FORCE_COLOR = "1";
      expect((await run(args, { outIsTTY: false })).out).toContain(esc);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it("phases go to stderr: one line each in CI, nothing when piped outside CI", async () => {
    const args = ["apply", `${MANIFESTS}/shop.yaml`, ...YAML_POLICIES];
    const ci = await run(args, { ci: true });
    expect(ci.err.split("\n").filter((l) => l.startsWith("policyc apply: "))).toEqual([
      "policyc apply: reading manifests",
      "policyc apply: loading policies",
      "policyc apply: starting the CEL engine",
      "policyc apply: compiling Rego",
      "policyc apply: evaluating 3 resources",
    ]);
    expect((await run(args)).err).not.toContain("policyc apply: reading");
  });
});

describe("apply conventions (kubectl, kube-linter and the Kyverno CLI)", () => {
  const NO_DEFAULT = `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: disallow-default-namespace}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}
  validations:
    - expression: "object.metadata.namespace != 'default'"
      message: objects do not go in the default namespace
`;
  /** A folder with a namespace-less bundle (meant for kubectl apply -n argocd), the policy above and the fixtures' policies. */
  function project(): string {
    const dir = tempDir();
    cpSync(path.join(ROOT, "test/apply/policies"), path.join(dir, "vendor"), { recursive: true });
    writeFileSync(path.join(dir, "vendor/no-default.yaml"), NO_DEFAULT);
    mkdirSync(path.join(dir, "bundle/generated"), { recursive: true });
    writeFileSync(
      path.join(dir, "bundle/config.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {team: cd}\ndata: {}\n",
    );
    writeFileSync(
      path.join(dir, "bundle/generated/scratch.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scratch\ndata: {}\n",
    );
    return dir;
  }
  const got = (out: string) => rows(out).map((x) => [x.resource, x.policy, x.status]);

  it("--namespace puts namespace-less objects where kubectl apply -n would, and refuses an object naming another", async () => {
    const dir = project();
    const plain = await cli(["apply", "bundle", "--policy", "vendor", "--reporter", "json"], dir);
    expect(plain.code).toBe(1);
    expect(got(plain.out)).toContainEqual(["ConfigMap/default/settings", "disallow-default-namespace", "fail"]);
    const argocd = await cli(["apply", "bundle", "--policy", "vendor", "-n", "argocd", "--reporter", "json"], dir);
    expect(argocd.code, argocd.err).toBe(0);
    expect(got(argocd.out)).toContainEqual(["ConfigMap/argocd/settings", "disallow-default-namespace", "pass"]);
    writeFileSync(path.join(dir, "bundle/other.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n  namespace: shop\n");
    const clash = await cli(["apply", "bundle", "--policy", "vendor", "--namespace", "argocd"], dir);
    expect(clash.code).toBe(2);
    expect(clash.err).toMatch(
      /bundle\/other\.yaml:5:\d+ invalid_fixture the namespace from the object \(shop\) does not match --namespace argocd/,
    );
    expect((await cli(["apply", "bundle", "--policy", "vendor", "-n", "Not_A_Name"], dir)).code).toBe(2);
  });

  it("--include-policy and --exclude-policy choose policies by name glob; --ignore leaves out files and folders", async () => {
    const dir = project();
    const only = await cli(["apply", "bundle", "--policy", "vendor", "--include-policy", "require-*", "--reporter", "json"], dir);
    expect(new Set(rows(only.out).map((x) => x.policy))).toEqual(new Set(["require-team-label"]));
    expect(got(only.out)).toContainEqual(["ConfigMap/default/scratch", "require-team-label", "warn"]);
    const without = await cli(["apply", "bundle", "--policy", "vendor", "--exclude-policy", "disallow-*", "--reporter", "json"], dir);
    expect(without.code).toBe(0);
    expect(rows(without.out).map((x) => x.policy)).not.toContain("disallow-default-namespace");
    for (const ignore of ["bundle/generated", "bundle/generated/", "**/scratch.yaml"]) {
      const ignored = await cli(["apply", "bundle", "--policy", "vendor", "--ignore", ignore, "--reporter", "json"], dir);
      expect(
        rows(ignored.out).map((x) => x.resource),
        ignore,
      ).not.toContain("ConfigMap/default/scratch");
      expect(
        rows(ignored.out).map((x) => x.resource),
        ignore,
      ).toContain("ConfigMap/default/settings");
    }
    // A filter that chooses nothing is a mistake: a misspelled --include-policy, or every policy excluded.
    const typo = await cli(["apply", "bundle", "--policy", "vendor", "--include-policy", "requir-team-label"], dir);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("--include-policy requir-team-label matches no policy (the policies: disallow-default-namespace,");
    expect((await cli(["apply", "bundle", "--policy", "vendor", "--exclude-policy", "*"], dir)).code).toBe(2);
    // Everything left out is a run that checked nothing: exit 2, never a silent pass.
    const nothing = await cli(["apply", "bundle", "--policy", "vendor", "--ignore", "bundle"], dir);
    expect(nothing.code).toBe(2);
  });

  it("an object accepts a policy's finding with the ignore.policyc.dev/<policy> annotation and a reason: reported as skipped, never silent", async () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "bundle/config.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {team: cd}\n  annotations:\n    ignore.policyc.dev/disallow-default-namespace: the CD tool's own settings live in default\ndata: {}\n",
    );
    const r = await cli(["apply", "bundle/config.yaml", "--policy", "vendor", "--reporter", "json"], dir);
    expect(r.code, r.err).toBe(0);
    const accepted = (JSON.parse(r.out) as { results: (Row & { cause?: { detail?: string } })[] }).results.find(
      (x) => x.policy === "disallow-default-namespace",
    );
    expect(accepted?.status).toBe("skip");
    expect(accepted?.cause?.detail).toContain("the CD tool's own settings live in default");
    const pretty = await cli(["apply", "bundle/config.yaml", "--policy", "vendor"], dir);
    expect(pretty.out).toContain("the CD tool's own settings live in default");
    // An annotation without a reason accepts nothing.
    writeFileSync(
      path.join(dir, "bundle/config.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    ignore.policyc.dev/disallow-default-namespace: ''\n",
    );
    const bare = await cli(["apply", "bundle/config.yaml", "--policy", "vendor"], dir);
    expect(bare.code, bare.out + bare.err).toBe(1);
  });

  it("the configuration's apply section sets them too: namespace, includePolicy, excludePolicy, ignore", async () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "policyc.config.json"),
      JSON.stringify({
        reporters: ["json"],
        apply: { inputs: ["bundle"], policy: ["vendor"], namespace: "argocd", excludePolicy: ["require-*"], ignore: ["bundle/generated"] },
      }),
    );
    const r = await cli(["apply"], dir);
    expect(r.code, r.err).toBe(0);
    expect(got(r.out)).toEqual([["ConfigMap/argocd/settings", "disallow-default-namespace", "pass"]]);
    writeFileSync(path.join(dir, "policyc.config.json"), JSON.stringify({ apply: { namespace: "Not A Name" } }));
    const bad = await cli(["apply", "bundle", "--policy", "vendor"], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("apply.namespace");
  });

  it("--audit-warn is the Kyverno CLI's flag and policyc's default; --fail-on audit is the Kyverno CLI's default", async () => {
    const dir = project();
    const args = ["apply", "bundle/generated", "--policy", "vendor", "--exclude-policy", "disallow-default-namespace"];
    expect((await cli(args, dir)).code).toBe(0);
    expect((await cli([...args, "--audit-warn"], dir)).code).toBe(0);
    expect((await cli([...args, "--fail-on", "audit"], dir)).code).toBe(1);
    const both = await cli([...args, "--audit-warn", "--fail-on", "audit"], dir);
    expect(both.code).toBe(2);
    expect(both.err).toContain("--audit-warn and --fail-on audit say the opposite");
  });
});

describe("apply findings point at the offending field", () => {
  const DEPLOYMENT = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: ok
          image: nginx:1.25
        - name: bad
          image: nginx:1.25
          securityContext:
            privileged: true
`;
  const LIST = {
    apiVersion: "v1",
    kind: "List",
    items: [
      { apiVersion: "v1", kind: "Pod", metadata: { name: "fine", namespace: "shop" }, spec: { containers: [{ name: "a", image: "x" }] } },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "root", namespace: "shop" },
        spec: {
          initContainers: [{ name: "init", image: "x", securityContext: { privileged: true } }],
          containers: [{ name: "a", image: "x" }],
        },
      },
    ],
  };

  it("TypeScript policies: the field the reference engine names, located at its key (line and column), in every reporter", async () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, "test/starter"), path.join(dir, "policies"), { recursive: true });
    writeFileSync(path.join(dir, "deploy.yaml"), DEPLOYMENT);
    writeFileSync(path.join(dir, "list.json"), JSON.stringify(LIST, null, 2) + "\n");
    const json = await cli(["apply", "deploy.yaml", "list.json", "--reporter", "json"], dir);
    expect(json.code).toBe(1);
    const found = (
      JSON.parse(json.out) as { results: (Row & { field?: string; location?: { file: string; line: number; column: number } })[] }
    ).results
      .filter((x) => x.actual === "deny")
      .map((x) => [x.resource, x.policy, x.field, x.location && `${x.location.file}:${x.location.line}:${x.location.column}`]);
    // Every engine's row of a finding points at the same place.
    expect([...new Set(found.map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x) as unknown)).toEqual([
      [
        "Deployment/shop/web",
        "disallow-privileged-containers",
        "spec.template.spec.containers[1].securityContext.privileged",
        "deploy.yaml:25:13",
      ],
      ["Deployment/shop/web", "require-app-name-label", "spec.template.metadata.labels['app.kubernetes.io/name']", "deploy.yaml:16:7"],
      [
        "Pod/shop/root",
        "disallow-privileged-containers",
        "spec.initContainers[0].securityContext.privileged",
        expect.stringMatching(/^list\.json:\d+:\d+$/),
      ],
    ]);
    const listed = found.find((x) => x[0] === "Pod/shop/root")![3] as string;
    const line = Number(listed.split(":")[1]);
    expect(readFileSync(path.join(dir, "list.json"), "utf8").split("\n")[line - 1]).toContain('"privileged": true');
    const github = await cli(["apply", "deploy.yaml", "--reporter", "github"], dir);
    expect(github.out).toContain("::error file=deploy.yaml,line=25,col=13,title=disallow-privileged-containers::");
    const pretty = await cli(["apply", "deploy.yaml"], dir);
    // The resource's heading keeps its start; the finding names its field.
    expect(pretty.out).toContain("FAIL Deployment/shop/web deploy.yaml:5\n");
    expect(pretty.out).toContain("at spec.template.spec.containers[1].securityContext.privileged deploy.yaml:25:13");
    // Standard input is located the same way.
    const piped = await run(["apply", "-", "--policies", path.join(dir, "policies"), "--reporter", "github"], { stdin: DEPLOYMENT });
    expect(piped.out).toContain("::error file=<stdin>,line=25,col=13,title=disallow-privileged-containers::");
  });

  it("a required field that is missing points at the nearest field that is there", async () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, "test/starter"), path.join(dir, "policies"), { recursive: true });
    writeFileSync(path.join(dir, "deploy.yaml"), DEPLOYMENT.replace("  labels: {app.kubernetes.io/name: web}\n", ""));
    const r = await cli(["apply", "deploy.yaml", "--reporter", "json", "--include-policy", "require-app-name-label"], dir);
    const row = (JSON.parse(r.out) as { results: (Row & { field?: string; location?: { line: number; column: number } })[] }).results[0]!;
    expect(row.field).toBe("metadata.labels['app.kubernetes.io/name']");
    // metadata has no labels: the finding is at metadata:.
    expect([row.location?.line, row.location?.column]).toEqual([7, 1]);
  });
});
