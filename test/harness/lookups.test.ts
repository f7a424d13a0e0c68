/**
 * Lookups end to end: bad lookups are located errors at build and test; a case's `cluster` is
 * validated and is all every engine sees; `apply` takes its inputs (and `--cluster`) as the
 * cluster; the library's cluster policies on a manifests folder.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, jsonIssues, tempDir } from "../support/helpers.js";

const write = (dir: string, file: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};

/** A policy file whose rule body is `assert` (reading `ctx`), matching Deployments, opting out of the VAP. */
const policy = (
  assert: string,
  extra = "",
) => `import { definePolicy, Deployment, NetworkPolicy, ClusterRole, Role, customKind, z } from "policyc";
export default definePolicy({
  name: "p",
  match: { kinds: [Deployment] },
  rules: [{ name: "r", assert: (d, _p, ctx) => ${assert}, message: "no" }],
  skip: { kubernetes: "no lookups there" },
  ${extra}
});
`;

const DEPLOYMENT = `{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec: { template: { metadata: { labels: { app: "web" } } } } }`;

describe("lookups that cannot work are located errors, exit 2", () => {
  it.each([
    [
      "a misspelled field of an object looked up",
      "ctx.cluster.list(NetworkPolicy).some((np) => np.spec.podSelectr.exists())",
      "unknown_field",
      /NetworkPolicySpec has no field "podSelectr"; did you mean "podSelector"/,
    ],
    [
      "a namespace for a cluster-scoped kind",
      `ctx.cluster.list(ClusterRole, { namespace: "shop" }).isEmpty()`,
      "invalid_lookup",
      /ClusterRole is cluster-scoped/,
    ],
    [
      "a label value no object can carry",
      `ctx.cluster.list(Role, { labels: { team: "a b" } }).isEmpty()`,
      "invalid_lookup",
      /"a b" is not a valid label value: .*; no object can carry it/,
    ],
    [
      "a label key that is not one",
      `ctx.cluster.list(Role, { labels: { "-x": "a" } }).isEmpty()`,
      "invalid_lookup",
      /"-x" is not a valid label key/,
    ],
    ["a name no object can have", `ctx.cluster.get(Role, "a/b").exists()`, "invalid_lookup", /cannot name an object/],
    [
      "a kind policyc knows nothing of",
      `ctx.cluster.list({ group: "example.com", version: "v1", kind: "Widget", resource: "widgets", namespaced: true }).isEmpty()`,
      "unknown_kind",
      /example.com\/v1 Widget is not a kind policyc knows the fields of/,
    ],
    [
      "selects() given a literal",
      `d.spec.selector.selects({ app: "web" } as never)`,
      "invalid_policy",
      /selects\(\) takes the labels to match/,
    ],
  ])("%s", async (_what, assert, code, message) => {
    const dir = tempDir();
    write(dir, "policies/p.ts", policy(assert));
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code, r.err).toBe(2);
    const issue = jsonIssues(r.out)[0]!;
    expect(issue).toMatchObject({ code, source: { file: "policies/p.ts", line: 5 } });
    expect(issue.message).toMatch(message);
  });

  it("a lookup in the policy's when (a match condition) is refused at it", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", policy("d.metadata.name.exists()", `when: (_d, _p, ctx) => ctx.cluster.list(NetworkPolicy).isNotEmpty(),`));
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "invalid_lookup", source: { file: "policies/p.ts", line: 7 } });
  });

  it("the VAP target is refused at the lookup unless the policy skips it; so is the legacy Kyverno format", async () => {
    const dir = tempDir();
    write(
      dir,
      "policies/p.ts",
      policy("ctx.cluster.list(NetworkPolicy).isNotEmpty()").replace(`skip: { kubernetes: "no lookups there" },`, ""),
    );
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "unsupported_by_target", source: { file: "policies/p.ts", line: 5 } });
    expect(jsonIssues(r.out)[0]!.message).toMatch(/kubernetes: a ValidatingAdmissionPolicy cannot read other objects/);
    write(dir, "policies/p.ts", policy("ctx.cluster.list(NetworkPolicy).isNotEmpty()"));
    expect((await cli(["build"], dir)).code).toBe(0);
    const legacy = await cli(["build", "--kyverno-format", "legacy", "--reporter", "json"], dir);
    expect(legacy.code).toBe(2);
    expect(jsonIssues(legacy.out)[0]!.message).toMatch(/legacy ClusterPolicy\): validate.cel has no resource library/);
  });
});

describe("a case's cluster", () => {
  const withCases = (cases: string) => policy("ctx.cluster.list(NetworkPolicy).isNotEmpty()", `tests: [${cases}],`);
  const NP = (name: string, ns = "shop") =>
    `{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "${name}", namespace: "${ns}" }, spec: { podSelector: {} } }`;

  it("is what every engine sees: files (List items read) and inline objects; a kind it does not give has none", async () => {
    const dir = tempDir();
    write(
      dir,
      "policies/cluster.yaml",
      `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: networking.k8s.io/v1\n    kind: NetworkPolicy\n    metadata: {name: a, namespace: shop}\n    spec: {podSelector: {}}\n`,
    );
    write(
      dir,
      "policies/p.ts",
      withCases(
        `{ resource: ${DEPLOYMENT}, cluster: ["cluster.yaml"], expect: "allow" }, { resource: ${DEPLOYMENT}, cluster: [${NP("b")}], expect: "allow" }, { resource: ${DEPLOYMENT}, cluster: [${NP("c", "other")}], expect: "deny" }, { resource: ${DEPLOYMENT}, expect: "deny" }`,
      ),
    );
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code, r.out + r.err).toBe(0);
    const rows = (JSON.parse(r.out) as { results: { engine: string; status: string }[] }).results;
    expect(new Set(rows.filter((x) => x.status === "pass").map((x) => x.engine))).toEqual(new Set(["kyverno", "gatekeeper", "reference"]));
  });

  it.each([
    ["an object given twice", `[${NP("a")}, ${NP("a")}]`, /the cluster already holds NetworkPolicy shop\/a/],
    ["an object without a name", `[{ apiVersion: "v1", kind: "ConfigMap", metadata: {} }]`, /the ConfigMap has no metadata.name/],
    ["something that is not an object", `["missing.yaml"]`, /missing.yaml|file not found/],
    ["a List item that is not an object", `["list.yaml"]`, /items\[1\]: a cluster object must be a Kubernetes object/],
  ])("is bad input, located at the case: %s", async (_what, cluster, message) => {
    const dir = tempDir();
    write(dir, "policies/list.yaml", `apiVersion: v1\nkind: List\nitems:\n  - ${NP("x").replace(/ /g, " ")}\n  - 42\n`);
    write(dir, "policies/p.ts", withCases(`{ resource: ${DEPLOYMENT}, cluster: ${cluster}, expect: "allow" }`));
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    const issue = jsonIssues(r.out)[0]!;
    expect(issue).toMatchObject({ code: "invalid_test_case", source: { file: "policies/p.ts" } });
    expect(issue.message).toMatch(/tests\[0\]\.cluster/);
    expect(issue.message).toMatch(message);
  });

  it("cluster must be a list: a located schema error", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", withCases(`{ resource: ${DEPLOYMENT}, cluster: "cluster.yaml", expect: "allow" }`));
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]!.message).toMatch(/cluster/);
  });
});

describe("apply: the inputs are the cluster", () => {
  const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
`;
  const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
`;
  const project = () => {
    const dir = tempDir();
    write(
      dir,
      "policies/cluster.ts",
      `import { requireNetworkpolicy, requirePdb } from "policyc/library";\nexport default [requireNetworkpolicy({ tests: [] }), requirePdb({ tests: [] })];\n`,
    );
    write(dir, "deploy/web.yaml", DEPLOY);
    return dir;
  };
  const findings = (out: string) =>
    [
      ...new Set(
        (JSON.parse(out) as { results: { policy: string; status: string }[] }).results
          .filter((r) => r.status === "fail")
          .map((r) => r.policy),
      ),
    ].sort();

  it("reports require-networkpolicy for a Deployment whose namespace has none; a NetworkPolicy among the inputs clears it", async () => {
    const dir = project();
    const before = await cli(["apply", "deploy", "--reporter", "json"], dir);
    expect(before.code).toBe(1);
    expect(findings(before.out)).toEqual(["require-networkpolicy", "require-pdb"]);
    write(dir, "deploy/netpol.yaml", DENY);
    const after = await cli(["apply", "deploy", "--reporter", "json"], dir);
    expect(findings(after.out)).toEqual(["require-pdb"]);
  });

  it("--cluster adds objects that are looked up, never checked", async () => {
    const dir = project();
    write(
      dir,
      "dump/all.yaml",
      `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: web, namespace: shop}\n    spec: {selector: {matchLabels: {app: web}}}\n`,
    );
    write(dir, "dump/netpol.yaml", DENY);
    const r = await cli(["apply", "deploy", "--cluster", "dump", "--reporter", "json"], dir);
    expect(r.code, r.out).toBe(0);
    const rows = (JSON.parse(r.out) as { results: { resource: string }[] }).results;
    expect(new Set(rows.map((x) => x.resource))).toEqual(new Set(["Deployment/shop/web"]));
    write(dir, "dump/bad.yaml", `apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n`);
    const bad = await cli(["apply", "deploy", "--cluster", "dump"], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/dump\/bad.yaml:1:1 invalid_fixture --cluster: the ConfigMap has no metadata.name/);
  });
});

describe("a cluster is bounded", () => {
  it("more objects than CLUSTER_LIMITS is refused where the limit is crossed, never read into every engine", async () => {
    const dir = tempDir();
    const items = Array.from({ length: 50_001 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `c${i}`, namespace: "shop" },
    }));
    write(dir, "policies/big.json", JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    write(
      dir,
      "policies/p.ts",
      policy(
        "ctx.cluster.list(NetworkPolicy).isNotEmpty()",
        `tests: [{ resource: ${DEPLOYMENT}, cluster: ["big.json"], expect: "deny" }],`,
      ),
    );
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]!.message).toMatch(/items\[50000\]: the cluster holds more than 50000 objects/);
  }, 120_000);
});
