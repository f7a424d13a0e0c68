/**
 * The bad-input catalogue of the surfaces new last round (issue 30): apply's inputs, the output
 * journal and lock, suites and fixtures that are not files, configuration, exceptions, options.
 * Each row asserts the exit code, the error code (or row cause) and the location a user sees.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, jsonIssues, ROOT, tempDir } from "../support/helpers.js";

const write = (dir: string, file: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};
const mkfifo = (file: string) => execFileSync("mkfifo", [file]);
const STARTER = path.join(ROOT, "test", "starter");
const applyJson = async (dir: string, args: string[]) => {
  const r = await cli(["apply", ...args, "--policies", STARTER, "--engine", "reference", "--reporter", "json"], dir);
  const report = r.out ? (JSON.parse(r.out) as { results: Row[] }) : { results: [] };
  return { ...r, rows: report.results };
};
interface Row {
  policy: string;
  status: string;
  actual: string;
  resource: string;
  reason?: string;
  cause?: { code?: string; detail?: string };
  location?: { file: string; line: number };
}

const PRIVILEGED_RC = `apiVersion: v1
kind: ReplicationController
metadata: { name: rc, namespace: shop }
spec:
  selector: { app: x }
  template:
    metadata: { labels: { app: x } }
    spec:
      hostNetwork: true
      containers: [{ name: c, image: nginx:1.25, securityContext: { privileged: true } }]
`;
const PRIVILEGED_POD = `apiVersion: v1
kind: Pod
metadata: { name: p, namespace: shop, labels: { app.kubernetes.io/name: p } }
spec:
  containers: [{ name: c, image: nginx:1.25, securityContext: { privileged: true } }]
`;

describe("apply's inputs", () => {
  it("a ReplicationController and a DaemonSet of a removed API version are reported as not evaluated, never passed", async () => {
    const dir = tempDir();
    write(dir, "m/rc.yaml", PRIVILEGED_RC);
    write(
      dir,
      "m/ds.yaml",
      PRIVILEGED_RC.replace("apiVersion: v1\nkind: ReplicationController", "apiVersion: extensions/v1beta1\nkind: DaemonSet"),
    );
    const r = await applyJson(dir, ["m"]);
    expect(r.code).toBe(1);
    const rows = r.rows.filter((x) => x.policy === "policyc:not-evaluated");
    expect(rows.map((x) => [x.resource, x.status, x.cause?.code, x.location?.file, x.location?.line])).toEqual([
      ["DaemonSet/shop/rc", "error", "not_evaluated", "m/ds.yaml", 1],
      ["ReplicationController/shop/rc", "error", "not_evaluated", "m/rc.yaml", 1],
    ]);
    expect(rows[0]!.reason).toMatch(/extensions\/v1beta1 is not an API version of DaemonSet that pod policies read \(apps\/v1\)/);
  });

  it("a run that evaluated nothing fails unless --pass-with-no-evaluations", async () => {
    const dir = tempDir();
    write(dir, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: shop }\ndata: { a: b }\n");
    const r = await cli(["apply", "cm.yaml", "--policies", STARTER, "--engine", "reference"], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("nothing was evaluated: no policy applies to any of the 1 resources");
    expect((await cli(["apply", "cm.yaml", "--policies", STARTER, "--engine", "reference", "--pass-with-no-evaluations"], dir)).code).toBe(
      0,
    );
  });

  it("a Helm Chart.yaml or values.yaml among the inputs is a located error row, and the rest is evaluated; --strict-input makes it exit 2", async () => {
    const dir = tempDir();
    write(dir, "chart/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n");
    write(dir, "chart/values.yaml", "replicas: 3\n");
    write(dir, "chart/templates/pod.yaml", PRIVILEGED_POD);
    write(dir, "chart/templates/dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\nmetadata: { name: b }\n");
    const r = await applyJson(dir, ["chart"]);
    expect(r.code).toBe(1);
    const invalid = r.rows.filter((x) => x.policy === "policyc:invalid-input");
    expect(invalid.map((x) => [x.location?.file, x.location?.line, x.cause?.code])).toEqual([
      ["chart/Chart.yaml", 1, "invalid_input"],
      ["chart/templates/dup.yaml", 4, "invalid_input"],
      ["chart/values.yaml", 1, "invalid_input"],
    ]);
    expect(invalid[1]!.reason).toMatch(/Map keys must be unique/);
    expect(r.rows.some((x) => x.policy === "disallow-privileged-containers" && x.status === "fail")).toBe(true);
    const strict = await cli(["apply", "chart", "--policies", STARTER, "--engine", "reference", "--strict-input"], dir);
    expect(strict.code).toBe(2);
    expect(strict.err).toContain("chart/Chart.yaml:1:1 invalid_fixture document 1 is not a Kubernetes object");
  });

  it("Lists are flattened recursively, as kubectl does; a List whose items is a map is a located error", async () => {
    const dir = tempDir();
    const pod = PRIVILEGED_POD.split("\n")
      .filter(Boolean)
      .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
      .join("\n");
    write(dir, "list.yaml", `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: PodList\n  items:\n${pod}\n`);
    write(dir, "map.yaml", "apiVersion: v1\nkind: List\nitems:\n  a: { apiVersion: v1, kind: Pod, metadata: { name: p } }\n");
    const r = await applyJson(dir, ["list.yaml", "map.yaml"]);
    expect(r.rows.find((x) => x.policy === "disallow-privileged-containers")).toMatchObject({ status: "fail", resource: "Pod/shop/p" });
    expect(r.rows.find((x) => x.policy === "policyc:invalid-input")).toMatchObject({
      location: { file: "map.yaml", line: 4 },
      reason: "the items of a List must be a list of objects",
    });
  });

  it("many documents of Helm-sized output (40 of 250 KB, 10 MB) are evaluated: the limit is per document", async () => {
    const dir = tempDir();
    const big = "x".repeat(250 * 1024);
    const docs = Array.from(
      { length: 40 },
      (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c${i}, namespace: shop }\ndata: { big: ${big} }\n`,
    );
    write(dir, "big.yaml", [...docs, PRIVILEGED_POD].join("---\n"));
    const r = await applyJson(dir, ["big.yaml"]);
    expect(r.code).toBe(1);
    expect(r.rows.filter((x) => x.policy === "disallow-privileged-containers").map((x) => x.status)).toEqual(["fail"]);
  });

  it("a cluster-scoped object's metadata.namespace is ignored, as the API server ignores it", async () => {
    const dir = tempDir();
    write(
      dir,
      "cr.yaml",
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: cr, namespace: kube-system }\nrules: [{ apiGroups: [""], resources: ["pods"], verbs: ["*"] }]\n`,
    );
    const r = await applyJson(dir, ["cr.yaml"]);
    const row = r.rows.find((x) => x.policy === "no-wildcard-verbs")!;
    expect(row.actual).toBe("deny");
    expect(row.resource).toBe("ClusterRole/cr");
    // Nor does -n refuse it for naming another namespace.
    expect((await cli(["apply", "cr.yaml", "-n", "shop", "--policies", STARTER, "--engine", "reference"], dir)).code).not.toBe(2);
  });

  it("--namespaces holds Namespaces only, and may not relabel a Namespace the inputs define", async () => {
    const dir = tempDir();
    write(dir, "pod.yaml", PRIVILEGED_POD);
    write(dir, "ns-pod.yaml", PRIVILEGED_POD);
    const pod = await cli(["apply", "pod.yaml", "--namespaces", "ns-pod.yaml", "--policies", STARTER, "--engine", "reference"], dir);
    expect(pod.code).toBe(2);
    expect(pod.err).toContain("ns-pod.yaml:2:7 invalid_fixture --namespaces holds Namespace objects only, not Pod (at kind)");
    write(dir, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, labels: { team: a } }\n");
    write(dir, "ns-other.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: { team: b }\n");
    const relabel = await cli(
      ["apply", "pod.yaml", "ns.yaml", "--namespaces", "ns-other.yaml", "--policies", STARTER, "--engine", "reference"],
      dir,
    );
    expect(relabel.code).toBe(2);
    expect(relabel.err).toMatch(
      /ns-other\.yaml:5:\d+ invalid_fixture --namespaces gives Namespace shop other labels than the inputs do \(ns\.yaml:1\)/,
    );
  });

  it("an input that is a FIFO or a link to /dev/zero is an error row at once, never read", async () => {
    const dir = tempDir();
    write(dir, "m/pod.yaml", PRIVILEGED_POD);
    mkfifo(path.join(dir, "m", "fifo.yaml"));
    symlinkSync("/dev/zero", path.join(dir, "m", "zero.yaml"));
    const r = await applyJson(dir, ["m"]);
    expect(r.code).toBe(1);
    expect(r.rows.filter((x) => x.policy === "policyc:invalid-input").map((x) => x.reason)).toEqual([
      "is not a regular file (a FIFO, device or socket); policyc reads files",
      "is not a regular file (a FIFO, device or socket); policyc reads files",
    ]);
  });

  it("standard input from a slow pipe is read to its end (helm template | policyc apply -)", () => {
    const dir = tempDir();
    write(dir, "pod.yaml", PRIVILEGED_POD);
    const bin = path.join(ROOT, "bin", "policyc.js");
    const r = spawnSync("bash", ["-c", `(sleep 1; cat pod.yaml) | node ${bin} apply - --policies ${STARTER} --engine reference`], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.stderr).not.toContain("EAGAIN");
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain("disallow-privileged-containers");
  });
});

describe("files that are not files", () => {
  it("verify: a FIFO or a link to /dev/zero named like a suite is a located error, at once", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "suites", "k"), { recursive: true });
    mkfifo(path.join(dir, "suites", "k", "kyverno-test.yaml"));
    symlinkSync("/dev/zero", path.join(dir, "suites", "suite.yaml"));
    const r = await cli(["verify", "suites"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("suites/k/kyverno-test.yaml invalid_path is not a regular file");
    expect(r.err).toContain("suites/suite.yaml invalid_path is not a regular file");
  });

  it("a case's fixture that is a FIFO is a located error; a policy file that is a FIFO is not skipped in silence", async () => {
    const dir = tempDir();
    cpSync(STARTER, path.join(dir, "policies"), { recursive: true });
    const fixture = path.join(dir, "policies", "fixtures", "pod-privileged.yaml");
    execFileSync("rm", [fixture]);
    mkfifo(fixture);
    const r = await cli(["test", "--engine", "reference"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/pod-privileged\.yaml.*is not a regular file/);
    mkfifo(path.join(dir, "policies", "z-fifo.ts"));
    const load = await cli(["build"], dir);
    expect(load.code).toBe(2);
    expect(load.err).toMatch(/policy_load_error .*z-fifo\.ts is not a regular file/);
  });
});

describe("the output journal and lock", () => {
  const project = async () => {
    const dir = tempDir();
    cpSync(STARTER, path.join(dir, "policies"), { recursive: true });
    expect((await cli(["build"], dir)).code).toBe(0);
    return dir;
  };

  it("a journal naming paths outside the output's own temporary trees moves nothing and is a located error", async () => {
    const dir = await project();
    const before = readdirSync(path.join(dir, "policies")).sort();
    for (const names of [
      { tmp: "policies", old: ".generated.policyc-old-aaaaaaaaaaaa" },
      { tmp: "../../etc", old: "../../tmp" },
      { tmp: ".generated.policyc-aaaaaaaaaaaa", old: ".generated.policyc-old-aaaaaaaaaaaa", sum: "0" },
    ]) {
      writeFileSync(path.join(dir, ".generated.policyc-swap.json"), JSON.stringify({ sum: "x", ...names }));
      const r = await cli(["build"], dir);
      expect(r.code).toBe(2);
      expect(r.err).toContain(".generated.policyc-swap.json is not a swap journal policyc wrote");
      expect(readdirSync(path.join(dir, "policies")).sort()).toEqual(before);
      expect(existsSync(path.join(dir, "generated", "kyverno"))).toBe(true);
    }
  });

  it("a stale lock whose process id is this process's own (a container's next build) does not block the build", async () => {
    const dir = await project();
    writeFileSync(path.join(dir, ".generated.policyc-lock"), JSON.stringify({ pid: process.pid, token: "someone-else" }));
    write(
      dir,
      "policies/extra.ts",
      readFileSync(path.join(STARTER, "no-wildcard-verbs.ts"), "utf8").replace(/no-wildcard-verbs/g, "no-wildcard-verbs-2"),
    );
    const r = await cli(["build"], dir);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, ".generated.policyc-lock"))).toBe(false);
  });
});

describe("configuration, exceptions, options", () => {
  it("policyc.config.json with a duplicated key is a located error, not last-wins", async () => {
    const dir = tempDir();
    cpSync(STARTER, path.join(dir, "policies"), { recursive: true });
    write(dir, "policyc.config.json", '{\n  "apply": { "namespace": "a" },\n  "apply": { "namespace": "b" }\n}\n');
    const r = await cli(["build"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("policyc.config.json:3:3 invalid_config a key is given twice: Map keys must be unique");
  });

  it("an exception matching kinds and every name (names: ['*']) is refused like a kinds-only one", async () => {
    const dir = tempDir();
    cpSync(STARTER, path.join(dir, "policies"), { recursive: true });
    write(
      dir,
      "policies/exception.ts",
      `import { defineException, Pod } from "policyc";\nimport privileged from "./disallow-privileged-containers.js";\nexport default defineException({\n  name: "all-pods",\n  policies: [privileged],\n  reason: "r",\n  match: { kinds: [Pod], names: ["*"] },\n});\n`,
    );
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    const issues = jsonIssues(r.out);
    expect(issues.map((i) => [i.code, i.source?.file, i.source?.line])).toEqual([["invalid_exception", "policies/exception.ts", 7]]);
    expect(issues[0]!.message).toContain("match selects every resource of the policy");
  });

  it("time limits beyond Node's timers are refused when options are parsed", async () => {
    for (const args of [
      ["test", "--policies", STARTER, "--load-timeout", "3000000"],
      ["apply", "x.yaml", "--policies", STARTER, "--timeout", "1e9"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/must be at most 2147483 seconds/);
    }
  });
});

describe("--policy documents", () => {
  const VAP = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: p }
spec:
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }]
  validations: [{ expression: "false", message: "no" }]
`;
  const binding = (name: string, spec: string) =>
    `---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

  it("VAP bindings are validated as the API server validates them, and one naming no policy is refused", async () => {
    const dir = tempDir();
    write(dir, "pod.yaml", PRIVILEGED_POD);
    write(
      dir,
      "vap.yaml",
      VAP +
        binding("b", "{ policyName: p, validationActions: [Explode] }") +
        binding("b2", '"hello"') +
        binding("b3", "{ policyName: nope, validationActions: [Deny] }") +
        binding("b4", "{ policyName: p, validationActions: [Deny, Warn] }"),
    );
    const r = await cli(["apply", "pod.yaml", "--policy", "vap.yaml"], dir);
    expect(r.code).toBe(2);
    expect(r.err.split("\n").filter((l) => l.includes("invalid_fixture"))).toEqual([
      'vap.yaml:12:44 invalid_fixture ValidatingAdmissionPolicyBinding b: unsupported value "Explode": supported values are "Audit", "Deny", "Warn" (at spec.validationActions[0])',
      "vap.yaml:17:7 invalid_fixture ValidatingAdmissionPolicyBinding b2: spec must be an object (at spec)",
      "vap.yaml:22:21 invalid_fixture ValidatingAdmissionPolicyBinding b3: no ValidatingAdmissionPolicy named nope among the documents: the binding binds nothing (at spec.policyName)",
      "vap.yaml:27:43 invalid_fixture ValidatingAdmissionPolicyBinding b4: Deny and Warn may not be used together (Deny already warns) (at spec.validationActions)",
    ]);
  });

  it("a Rego error in a template given to apply --policy is located at its line inside the YAML", async () => {
    const dir = tempDir();
    write(dir, "pod.yaml", PRIVILEGED_POD);
    write(
      dir,
      "t.yaml",
      `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: { name: k8sbad }
spec:
  crd:
    spec:
      names: { kind: K8sBad }
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sbad
        violation[{"msg": msg}] {
          msg := "x" +
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sBad
metadata: { name: bad }
`,
    );
    const r = await cli(["apply", "pod.yaml", "--policy", "t.yaml"], dir);
    expect(r.code, r.err + r.out).toBe(2);
    expect(r.err).toContain("t.yaml:14:9 invalid_fixture ConstraintTemplate k8sbad: rego_parse_error: unexpected } token (Rego line 4)");
  });
});

describe("reports", () => {
  it("hostile file names and messages: every reporter parses and escapes; PolicyReport names read back as strings under YAML 1.1", async () => {
    const dir = tempDir();
    write(
      dir,
      "policies/p.ts",
      `import { definePolicy, Pod } from "policyc";
export default definePolicy({
  name: "hostile-msg",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostPID.notEquals(true).message\`bad ]]> <x> & "q" \\u0000 \\u001b[31m ::set-output name=x::y %0A done\`,
  tests: [{ name: "deny", resource: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { hostPID: true, containers: [{ name: "c", image: "nginx" }] } }, expect: "deny" }],
});
`,
    );
    const file = `m/we"ird<>&::%0A\u202e.yaml`;
    write(
      dir,
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: { name: "on", namespace: "yes" }\nspec:\n  hostPID: true\n  containers: [{ name: c, image: nginx }]\n',
    );
    const out = async (reporter: string) => {
      const r = await cli(["apply", "m", "--reporter", reporter], dir);
      expect(r.code, r.err).toBe(1);
      return r.out;
    };
    const json = JSON.parse(await out("json")) as { results: Row[] };
    expect(json.results.map((x) => x.location?.file)).toContain(file);
    expect(JSON.stringify(JSON.parse(await out("sarif")))).toContain('we\\"ird');
    const junit = await out("junit");
    // Well-formed XML: no raw ]]>, <, & or NUL in text or attributes.
    expect(junit.includes("\u0000") || junit.includes("\u001b")).toBe(false);
    expect(junit.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "")).not.toMatch(/<x>|& "q"|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    const github = (await out("github")).split("\n").filter((l) => l.startsWith("::error"));
    expect(github).toHaveLength(1);
    expect(github[0]).toContain('file=m/we"ird<>&%3A%3A%250A\u202e.yaml,line=5');
    expect(github[0]).not.toMatch(/::set-output name=x::y %0A/);
    const report = await out("policy-report");
    const { parse } = await import("yaml");
    const doc = parse(
      report.split(/^---$/m).find((d) => d.includes("PolicyReport"))!,
      { version: "1.1" },
    ) as {
      metadata: { namespace: unknown };
      results: { resources: { name: unknown }[] }[];
    };
    expect(doc.metadata.namespace).toBe("yes");
    expect(doc.results[0]!.resources[0]!.name).toBe("on");
  });

  it("SARIF rule metadata is the same from test as from apply", async () => {
    const rules = async (args: string[]) =>
      (
        JSON.parse((await cli([...args, "--policies", STARTER, "--engine", "reference", "--reporter", "sarif"])).out) as {
          runs: { tool: { driver: { rules: { id: string; shortDescription: unknown; properties: unknown }[] } } }[];
        }
      ).runs[0]!.tool.driver.rules.find((r) => r.id === "disallow-privileged-containers");
    const fromTest = await rules(["test"]);
    expect(fromTest).toEqual(await rules(["apply", path.join(STARTER, "fixtures")]));
    expect(fromTest?.properties).toMatchObject({ severity: "high", "security-severity": "7.0" });
  });
});

describe("policy files (the older probe classes)", () => {
  const project = () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "policies"));
    cpSync(path.join(STARTER, "fixtures"), path.join(dir, "policies", "fixtures"), { recursive: true });
    cpSync(path.join(STARTER, "disallow-privileged-containers.ts"), path.join(dir, "policies", "disallow-privileged-containers.ts"));
    return dir;
  };

  it("a policy object re-exported by a second file is one policy, not a duplicate name", async () => {
    const dir = project();
    write(dir, "policies/again.ts", 'export { default } from "./disallow-privileged-containers.js";\n');
    const r = await cli(["test", "--engine", "reference", "--reporter", "json"], dir);
    expect(r.code, r.err).toBe(0);
    expect(new Set((JSON.parse(r.out) as { results: Row[] }).results.map((x) => x.policy))).toEqual(
      new Set(["disallow-privileged-containers"]),
    );
  });

  it("a policy file saved with a byte-order mark and CRLF line ends builds and is located like any other", async () => {
    const dir = project();
    const text = readFileSync(path.join(STARTER, "no-wildcard-verbs.ts"), "utf8").replace(/\n/g, "\r\n");
    write(dir, "policies/crlf.ts", `\ufeff${text}`);
    expect((await cli(["build"], dir)).code).toBe(0);
    write(dir, "policies/crlf.ts", `\ufeff${text.replace('name: "no-wildcard-verbs"', 'name: "No Wildcards"')}`);
    const r = await cli(["build"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/policies\/crlf\.ts:\d+:3 invalid_name policy name "No Wildcards"/);
  });

  it("names with control or bidi characters are invalid_name, the characters shown escaped", async () => {
    const dir = project();
    for (const name of ["rtl-\\u202e-x", "nul-\\u0000-x", "esc-\\u001b[31m"]) {
      write(
        dir,
        "policies/n.ts",
        readFileSync(path.join(STARTER, "no-wildcard-verbs.ts"), "utf8").replace('name: "no-wildcard-verbs"', `name: "${name}"`),
      );
      const r = await cli(["build"], dir);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`invalid_name policy name "${name}"`);
    }
  });
});

describe("messages", () => {
  it("a fixed message keeps every character on every engine (double spaces, a space before punctuation, a leading BOM)", async () => {
    const dir = tempDir();
    const message = "\\uFEFF  https://example.com/x ?a=1  double  space , end ; ok : yes !";
    write(
      dir,
      "policies/p.ts",
      `import { definePolicy, Pod } from "policyc";
export default definePolicy({
  name: "fixed-message",
  match: { kinds: [Pod] },
  validate: (pod) => pod.spec.hostPID.notEquals(true).message\`${message}\`,
  tests: [{ name: "deny", resource: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { hostPID: true, containers: [{ name: "c", image: "nginx" }] } }, expect: "deny" }],
});
`,
    );
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code, r.err).toBe(0);
    const rows = (JSON.parse(r.out) as { results: (Row & { engine: string; messages: string[] })[] }).results;
    expect(rows.map((x) => x.engine).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno", "reference"]);
    for (const row of rows) expect(row.messages).toEqual(["\ufeff  https://example.com/x ?a=1  double  space , end ; ok : yes !"]);
  });
});

describe("apply --shard", () => {
  it("shards split the resources, each checked once, and an empty or malformed shard is exit 2", async () => {
    const fixtures = path.join(STARTER, "fixtures");
    const resources = async (args: string[]) => {
      const r = await cli(["apply", fixtures, "--policies", STARTER, "--engine", "reference", "--reporter", "json", ...args]);
      return new Set((JSON.parse(r.out) as { results: Row[] }).results.map((x) => x.resource));
    };
    const all = await resources([]);
    const one = await resources(["--shard", "1/2"]);
    const two = await resources(["--shard", "2/2"]);
    expect(one.size).toBeGreaterThan(0);
    expect(two.size).toBeGreaterThan(0);
    expect([...one].filter((x) => two.has(x))).toEqual([]);
    expect(new Set([...one, ...two])).toEqual(all);
    for (const bad of ["", "3/2", "1/0", "x"]) {
      const r = await cli(["apply", fixtures, "--policies", STARTER, "--shard", bad]);
      expect(r.code).toBe(2);
      expect(r.err).toContain("--shard must be I/N");
    }
  });
});

describe("apply on two threads", () => {
  it("splitting the policies between two threads gives the same report, row for row (locations included)", async () => {
    const fixtures = path.join(ROOT, "test", "apply", "manifests");
    const run = async (threads: string) => {
      const before = process.env["POLICYC_THREADS"];
      process.env["POLICYC_THREADS"] = threads;
      try {
        const r = await cli(["apply", fixtures, "--policies", path.join(ROOT, "policies"), "--reporter", "json"]);
        return (JSON.parse(r.out) as { results: (Row & { durationMs?: number })[] }).results.map(({ durationMs: _, ...row }) => row);
      } finally {
        if (before === undefined) delete process.env["POLICYC_THREADS"];
        else process.env["POLICYC_THREADS"] = before;
      }
    };
    const one = await run("1");
    expect(one.length).toBeGreaterThan(50);
    expect(one.some((r) => r.status === "fail")).toBe(true);
    expect(await run("2")).toEqual(one);
  }, 240_000);
});

describe("apply stopped by a signal", () => {
  it("a closed standard output (| head) keeps the exit code: bad input stays exit 2", () => {
    const dir = tempDir();
    for (let i = 0; i < 1500; i++) write(dir, `policies/p${i}.ts`, `export default 1;\n`);
    const r = spawnSync(
      "bash",
      [
        "-c",
        `node --import ${path.join(ROOT, "test/fuzz/register.mjs")} ${path.join(ROOT, "test/support/policyc.ts")} build --reporter json | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    expect(r.stdout.trim()).toBe("2");
  }, 120_000);

  it("SIGTERM mid-run: the rows decided are written, marked incomplete, exit 143", async () => {
    const dir = tempDir();
    const pods = Array.from({ length: 6000 }, (_, i) => PRIVILEGED_POD.replace("name: p,", `name: p${i},`)).join("---\n");
    write(dir, "pods.yaml", pods);
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "bin", "policyc.js"), "apply", "pods.yaml", "--policies", STARTER, "--reporter", "json=report.json"],
      {
        cwd: dir,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 8000));
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, err).toBe(143);
    expect(err).toMatch(/stopped by a signal after \d+ of 6000 resources/);
    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")) as {
      summary: { incomplete?: string; cases: number };
      results: Row[];
    };
    expect(report.summary.incomplete).toMatch(/stopped by a signal after (\d+) of 6000 resources/);
    const done = Number(/after (\d+) of/.exec(report.summary.incomplete!)![1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(6000);
    expect(new Set(report.results.map((r) => r.resource)).size).toBe(done);
  }, 60_000);
});
