import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Document } from "../../src/backends/index.js";
import { buildDir, cli, copyWithEdits, jsonIssues, ROOT, tempDir } from "../support/helpers.js";
import { schemaErrors } from "../support/k8s-schema.js";

/**
 * Exceptions (defineException): what each target is given, that every engine honours it with
 * its own mechanism and agrees with the others, that neighbours stay denied, and the located
 * errors of what cannot be built.
 */

interface Row {
  policy: string;
  case: string;
  engine: string;
  expected: string;
  actual: string;
  status: string;
}

const built = buildDir("test/exceptions/policies");
const documents = async (target: string, policy: string): Promise<Document[]> => {
  const r = await built;
  expect(r.status).toBe("ok");
  return r.compiled.find((c) => c.policy.name === policy)!.outputs.find((o) => o.target === target)!.documents as Document[];
};
const spec = (d: Document | undefined) => (d as unknown as { spec: Record<string, unknown> }).spec;

describe("exceptions on every engine", () => {
  it("exempt what they name and nothing beside it, on all four engines, with no disagreement", async () => {
    const r = await cli(["test", "--reporter", "json"], path.join(ROOT, "test", "exceptions"));
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { summary: { disagreements: number }; results: Row[] };
    expect(report.summary.disagreements).toBe(0);
    const ofException = (name: string) => report.results.filter((x) => x.case.startsWith(`${name}: `));
    for (const name of ["system-namespace", "node-exporter", "approved-label", "ci-deployer", "ops-scratch", "system-tier"]) {
      const rows = ofException(name);
      // Each exception has a case it exempts and a neighbour it must not reach, judged on every engine.
      expect(
        rows.some((x) => x.expected === "skip" && x.actual === "none"),
        name,
      ).toBe(true);
      expect(
        rows.some((x) => x.expected === "deny" && x.actual === "deny"),
        name,
      ).toBe(true);
      expect(
        rows.filter((x) => x.status !== "skip").every((x) => x.status === "pass"),
        name,
      ).toBe(true);
    }
    // Kyverno cannot read namespace labels, so that policy opts out of it; the other three judge the exception.
    expect(
      new Set(
        ofException("system-tier")
          .filter((x) => x.status === "pass")
          .map((x) => x.engine),
      ),
    ).toEqual(new Set(["kubernetes", "gatekeeper", "reference"]));
    expect(new Set(ofException("ci-deployer").map((x) => x.engine))).toEqual(new Set(["kyverno", "kubernetes", "gatekeeper", "reference"]));
  });

  it("an exception widened past its neighbour fails the neighbour's case on every engine", async () => {
    const dir = copyWithEdits("test/exceptions", {
      "policies/host-network.ts": (t) =>
        t.replace('match: { namespaces: ["kube-system"] }', 'match: { namespaces: ["kube-system", "kube-system-tools"] }'),
    });
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(1);
    const rows = (JSON.parse(r.out) as { results: Row[] }).results.filter(
      (x) => x.case === "system-namespace: a namespace with a similar name",
    );
    expect(rows.map((x) => `${x.engine}=${x.actual}:${x.status}`)).toEqual([
      "kyverno=none:fail",
      "kubernetes=none:fail",
      "gatekeeper=none:fail",
      "reference=none:fail",
    ]);
  });

  it("the cross-engine check covers exceptions: once expired, Kyverno's admission stops applying one the others still apply", async () => {
    const dir = copyWithEdits("test/exceptions", {
      "policies/protected-configmaps.ts": (t) => t.replace('expires: "2099-01-31"', 'expires: "2020-01-31"'),
    });
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { summary: { disagreements: number }; results: Row[] };
    expect(report.summary.disagreements).toBe(1);
    const rows = report.results.filter((x) => x.case === "ops-scratch: exempts fixtures/scratch-configmap.yaml on DELETE");
    expect(rows.map((x) => `${x.engine}=${x.actual}`)).toEqual(["kyverno=deny", "kubernetes=none", "gatekeeper=none", "reference=none"]);
  });
});

describe("policyc apply honours exceptions", () => {
  const dir = path.join(ROOT, "test", "exceptions");
  const rowsOf = (out: string) => (JSON.parse(out) as { results: (Row & { resource: string })[] }).results;

  it("admission: the exempted resource passes on every engine, its neighbour is denied", async () => {
    const r = await cli(
      ["apply", "--reporter", "json", "policies/fixtures/kube-system-pod.yaml", "policies/fixtures/kube-system-lookalike.yaml"],
      dir,
    );
    expect(r.code).toBe(1);
    const rows = rowsOf(r.out);
    expect(rows.filter((x) => x.resource === "Pod/kube-system/agent")).toEqual([]);
    expect(rows.filter((x) => x.resource === "Pod/kube-system-tools/agent").map((x) => `${x.engine}=${x.actual}`)).toEqual([
      "kyverno=deny",
      "kubernetes=deny",
      "gatekeeper=deny",
      "reference=deny",
    ]);
  });

  it("an exception by user applies to that user's admission requests, and not in audit mode, where background scans see no user", async () => {
    const as = ["--as", "system:serviceaccount:ci:deployer", "--as-group", "system:serviceaccounts"];
    const admitted = await cli(["apply", "--reporter", "json", ...as, "policies/fixtures/lb-speaker.yaml"], dir);
    expect(admitted.code, admitted.out).toBe(0);
    expect(rowsOf(admitted.out).filter((x) => x.actual === "deny")).toEqual([]);
    const someoneElse = await cli(["apply", "--reporter", "json", "--as", "alice", "policies/fixtures/lb-speaker.yaml"], dir);
    expect(someoneElse.code).toBe(1);
    const audit = await cli(["apply", "--reporter", "json", "--mode", "audit", ...as, "policies/fixtures/lb-speaker.yaml"], dir);
    expect(audit.code).toBe(1);
    expect(rowsOf(audit.out).map((x) => `${x.engine}=${x.actual}`)).toEqual([
      "kyverno=deny",
      "kubernetes=deny",
      "gatekeeper=deny",
      "reference=deny",
    ]);
  });

  it("the generated YAML, applied as existing policies (--policy), gives the same verdicts", async () => {
    const out = tempDir();
    expect((await cli(["build", "--out", out], dir)).code).toBe(0);
    const inputs = [
      "policies/fixtures/kube-system-pod.yaml",
      "policies/fixtures/kube-system-lookalike.yaml",
      "policies/fixtures/node-exporter.yaml",
    ];
    const r = await cli(["apply", "--reporter", "json", "--policy", out, ...inputs], dir);
    expect(r.code).toBe(1);
    const denied = [
      ...new Set(
        rowsOf(r.out)
          .filter((x) => x.actual === "deny")
          .map((x) => `${x.resource} ${x.engine}`),
      ),
    ].sort();
    expect(denied).toEqual([
      "Pod/kube-system-tools/agent gatekeeper",
      "Pod/kube-system-tools/agent kubernetes",
      "Pod/kube-system-tools/agent kyverno",
    ]);
  });
});

describe("the legacy Kyverno format", () => {
  it("kyverno.io/v2 PolicyExceptions exempt the ClusterPolicies' rules alike (applied as existing YAML)", async () => {
    const dir = path.join(ROOT, "test", "exceptions");
    const out = tempDir();
    expect((await cli(["build", "--out", out, "--targets", "kyverno", "--kyverno-format", "legacy"], dir)).code).toBe(0);
    const legacy = readFileSync(path.join(out, "kyverno-legacy", "no-host-network.yaml"), "utf8");
    expect(legacy).toContain("apiVersion: kyverno.io/v2\nkind: PolicyException");
    const inputs = [
      "kube-system-pod",
      "kube-system-lookalike",
      "node-exporter",
      "node-exporter-deployment",
      "lb-speaker",
      "approved",
      "approved-other-value",
    ].map((f) => `policies/fixtures/${f}.yaml`);
    const denied = async (user: string) => {
      const r = await cli(["apply", "--reporter", "json", "--policy", out, "--as", user, ...inputs], dir);
      return (JSON.parse(r.out) as { results: (Row & { resource: string })[] }).results
        .filter((x) => x.actual === "deny")
        .map((x) => x.resource);
    };
    expect(await denied("system:serviceaccount:ci:deployer")).toEqual([
      "Pod/kube-system-tools/agent",
      "Deployment/monitoring/node-exporter",
      "Pod/shop/probe",
    ]);
    // The same Deployment by another user: its exception (by service account) does not apply.
    expect(await denied("alice")).toContain("Deployment/network/lb-speaker");
  });
});

describe("what each target is given", () => {
  it("Kyverno: one PolicyException per exception and policy, one match condition per criterion, expiresAt from expires", async () => {
    const docs = await documents("kyverno", "no-host-network");
    const exceptions = docs.filter((d) => d.kind === "PolicyException");
    expect(exceptions.map((d) => d.metadata.name)).toEqual([
      "approved-label-no-host-network",
      "ci-deployer-no-host-network",
      "node-exporter-no-host-network",
      "system-namespace-no-host-network",
    ]);
    const ci = exceptions.find((d) => d.metadata.name === "ci-deployer-no-host-network")!;
    expect(ci.apiVersion).toBe("policies.kyverno.io/v1");
    expect(ci.metadata["namespace"]).toBe("kyverno");
    expect(spec(ci)["policyRefs"]).toEqual([{ name: "no-host-network", kind: "ValidatingPolicy" }]);
    expect((spec(ci)["matchConditions"] as { name: string }[]).map((c) => c.name)).toEqual(["kinds", "names", "subjects"]);
    expect((ci.metadata["annotations"] as Record<string, string>)["policyc/reason"]).toBe("the load balancer's speakers, rolled out by CI");
    const scratch = (await documents("kyverno", "keep-protected-configmaps")).find((d) => d.kind === "PolicyException")!;
    expect(spec(scratch)["expiresAt"]).toBe("2099-01-31T23:59:59Z");
  });

  it("Kyverno's exception namespace is the cluster's: --kyverno-exception-namespace, or kyvernoExceptionNamespace in the configuration", async () => {
    const namespaces = (dir: string) =>
      readFileSync(path.join(dir, "kyverno", "no-host-network.yaml"), "utf8")
        .split("\n---\n")
        .filter((d) => d.includes("kind: PolicyException"))
        .map((d) => /\n {2}namespace: (\S+)/.exec(d)?.[1]);
    const flag = tempDir();
    const dir = path.join(ROOT, "test", "exceptions");
    expect((await cli(["build", "--out", flag, "--kyverno-exception-namespace", "policy-exceptions"], dir)).code).toBe(0);
    expect(new Set(namespaces(flag))).toEqual(new Set(["policy-exceptions"]));
    const project = copyWithEdits("test/exceptions", {
      "policyc.config.json": JSON.stringify({ kyvernoExceptionNamespace: "security" }),
    });
    expect((await cli(["build"], project)).code).toBe(0);
    expect(new Set(namespaces(path.join(project, "generated")))).toEqual(new Set(["security"]));
    const bad = await cli(["build", "--out", tempDir(), "--kyverno-exception-namespace", "Policy_Exceptions"], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--kyverno-exception-namespace must be a namespace name/);
  });

  it("Kubernetes: namespaces and namespace labels on the binding's namespaceSelector, exact names on excludeResourceRules, the rest as the policy's match conditions", async () => {
    const docs = await documents("kubernetes", "no-host-network");
    const binding = spec(docs.find((d) => d.kind === "ValidatingAdmissionPolicyBinding"));
    expect(binding["matchResources"]).toEqual({
      namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system"] }] },
      excludeResourceRules: [
        {
          apiGroups: ["apps"],
          apiVersions: ["v1"],
          operations: ["CREATE", "UPDATE"],
          resources: ["daemonsets"],
          resourceNames: ["node-exporter"],
        },
      ],
    });
    const conditions = spec(docs.find((d) => d.kind === "ValidatingAdmissionPolicy"))["matchConditions"] as {
      name: string;
      expression: string;
    }[];
    expect(conditions.map((c) => c.name)).toEqual(["exception/approved-label", "exception/ci-deployer"]);
    expect(conditions[1]!.expression).toContain('"system:serviceaccount:ci:deployer"');
    const tier = spec((await documents("kubernetes", "no-node-ports")).find((d) => d.kind === "ValidatingAdmissionPolicyBinding"));
    expect(tier["matchResources"]).toEqual({
      namespaceSelector: { matchExpressions: [{ key: "acme.io/tier", operator: "NotIn", values: ["system"] }] },
    });
  });

  it("Gatekeeper: the Constraint's match where it can say it (excludedNamespaces, one label requirement's complement), the template's Rego otherwise", async () => {
    const docs = await documents("gatekeeper", "no-host-network");
    const match = spec(docs[1])["match"] as Record<string, unknown>;
    expect(match["excludedNamespaces"]).toEqual(["kube-system"]);
    expect(match["labelSelector"]).toEqual({
      matchExpressions: [{ key: "acme.io/host-network", operator: "NotIn", values: ["approved"] }],
    });
    const rego = (spec(docs[0]) as { targets: { rego: string }[] }).targets[0]!.rego;
    expect(rego).toContain("not _exempt");
    expect(rego).toMatch(/# Exceptions \(ci-deployer, node-exporter\)/);
    const tier = spec((await documents("gatekeeper", "no-node-ports"))[1])["match"];
    expect(tier).toMatchObject({
      namespaceSelector: { matchExpressions: [{ key: "acme.io/tier", operator: "NotIn", values: ["system"] }] },
    });
  });

  it("every document validates against the upstream schemas", async () => {
    const r = await built;
    const all = r.compiled.flatMap((c) => c.outputs.flatMap((o) => o.documents));
    expect(all.some((d) => d.kind === "PolicyException")).toBe(true);
    for (const d of all) {
      const errors = schemaErrors(d as never);
      // Only a Constraint has no upstream schema (its CRD is generated from its template).
      if (errors === undefined) expect(d.apiVersion, d.kind).toBe("constraints.gatekeeper.sh/v1beta1");
      else expect(errors, `${d.kind} ${d.metadata.name}`).toEqual([]);
    }
  });
});

describe("exceptions that cannot be built", () => {
  /** The expired-exception project with another exception, and the policy file edited. */
  const project = (exception: string, edit: (text: string) => string = (t) => t) => {
    const dir = copyWithEdits("test/errors/exception-expired", {
      "policy.ts": (t) => edit(t.replace(/export const cni = defineException\(\{[\s\S]*\}\);\n/, exception)),
    });
    const work = tempDir();
    cpSync(dir, path.join(work, "policies"), { recursive: true });
    return work;
  };

  it("an expired exception warns, with its location; --strict makes it an error and writes nothing", async () => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "errors", "exception-expired"), path.join(work, "policies"), { recursive: true });
    const warned = await cli(["build"], work);
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/^policies\/policy\.ts:14:3 warning expired_exception exception "cni" expired on 2024-06-30/m);
    writeFileSync(path.join(work, "generated", "marker"), "");
    const before = readFileSync(path.join(work, "generated", "kyverno", "no-host-network.yaml"), "utf8");
    const strict = await cli(["build", "--strict", "--reporter", "json"], work);
    expect(strict.code).toBe(2);
    const issue = jsonIssues(strict.out).find((i) => i.code === "expired_exception")!;
    expect(issue.source).toMatchObject({ file: "policies/policy.ts", line: 14 });
    expect(issue.path).toEqual(["expires"]);
    expect(readFileSync(path.join(work, "generated", "kyverno", "no-host-network.yaml"), "utf8")).toBe(before);
  });

  it("exempting some of a policy's rules is refused on each target, at the rules", async () => {
    const work = project(
      `export const cni = defineException({
  name: "cni",
  policies: [hostNetwork],
  rules: ["host-network"],
  match: { namespaces: ["kube-system"] },
  reason: "the CNI agent",
});
`,
      (t) =>
        t.replace(
          "validate: (pod) => pod.spec.hostNetwork.notEquals(true),",
          `rules: [
    { name: "host-network", assert: (pod) => pod.spec.hostNetwork.notEquals(true) },
    { name: "host-pid", assert: (pod) => pod.spec.hostPID.notEquals(true) },
  ],`,
        ),
    );
    const r = await cli(["build", "--reporter", "json"], work);
    expect(r.code).toBe(2);
    const issues = jsonIssues(r.out).filter((i) => i.code === "unsupported_by_target");
    expect(issues.map((i) => i.message.split(":")[0])).toEqual(["kyverno", "kubernetes", "gatekeeper"]);
    expect(issues.every((i) => i.source?.line === 15 && i.path.join(".") === "rules")).toBe(true);
  });

  it("exempting every rule of a policy by name is the whole policy: it builds", async () => {
    const work = project(`export const cni = defineException({
  name: "cni",
  policies: [hostNetwork],
  rules: ["no-host-network"],
  match: { namespaces: ["kube-system"] },
  reason: "the CNI agent",
});
`);
    const r = await cli(["build", "--reporter", "json"], work);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(path.join(work, "generated", "kyverno", "no-host-network.yaml"), "utf8")).toContain("kind: PolicyException");
  });

  it.each([
    [
      "a kind the policy does not match",
      `match: { kinds: [Service], namespaces: ["kube-system"] }`,
      "match.kinds[0]",
      /does not match Service/,
    ],
    ["a match that selects everything", `match: {}`, "match", /selects every resource/],
    ["a match of kinds alone", `match: { kinds: [Pod] }`, "match", /selects every resource/],
    [
      "a service account that is not namespace:name",
      `match: { serviceAccounts: ["deployer"] }`,
      "match.serviceAccounts[0]",
      /namespace:name/,
    ],
    ["a name that is no object name", `match: { names: ["Cilium_Agent"] }`, "match.names[0]", /not an object name/],
    ["a group with a wildcard", `match: { groups: ["acme:*"] }`, "match.groups[0]", /matched exactly/],
    [
      "a rule the policy does not have",
      `rules: ["host-net"], match: { namespaces: ["kube-system"] }`,
      "rules[0]",
      /has no rule "host-net"/,
    ],
  ])("%s is a located invalid_exception", async (_what, fields, at, message) => {
    const work = project(
      `export const cni = defineException({
  name: "cni",
  policies: [hostNetwork],
  ${fields},
  reason: "the CNI agent",
});
`,
      (t) => t.replace("import { defineException, definePolicy, Pod }", "import { defineException, definePolicy, Pod, Service }"),
    );
    const r = await cli(["build", "--reporter", "json"], work);
    expect(r.code).toBe(2);
    const issue = jsonIssues(r.out).find((i) => i.code === "invalid_exception");
    expect(issue, r.out).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(issue!.source?.file).toBe("policies/policy.ts");
    const p = issue!.path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
    expect(p).toBe(at);
  });
});
