/**
 * The policy library: every policy instantiated by policies/ (the committed catalogue in
 * generated/ and docs/library.md), each with its metadata and cases, all passing on every engine;
 * and the options consumers tune it with.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as library from "../../src/library/index.js";
import { CATEGORIES, functionName, renderCatalogue } from "../../src/library/index.js";
import { loadPolicies } from "../../src/load/index.js";
import { cli, ROOT, tempDir } from "../support/helpers.js";

const loaded = await loadPolicies(path.join(ROOT, "policies"), ROOT);
const policies = loaded.policies.map((p) => p.policy!);
const mutations = loaded.mutations.map((m) => m.mutation!);
const MUTATION_FUNCTIONS = [
  "addDefaultResources",
  "addDefaultSecuritycontext",
  "addNamespaceLabelsToPods",
  "rewriteImageRegistry",
  "setImagePullPolicy",
];

/** The library's policy functions (its other exports are constants and helpers). */
const FUNCTIONS = Object.entries(library)
  .filter(([name, f]) => typeof f === "function" && !["renderCatalogue", "functionName", ...MUTATION_FUNCTIONS].includes(name))
  .map(([name]) => name)
  .sort();

describe("the library catalogue (policies/)", () => {
  it("instantiates every library policy, under its own name", () => {
    expect(loaded.issues).toEqual([]);
    expect(policies.map((p) => functionName(p.name)).sort()).toEqual(FUNCTIONS);
    expect(policies).toHaveLength(49);
    expect(mutations.map((m) => functionName(m.name)).sort()).toEqual(MUTATION_FUNCTIONS);
  });

  it("docs/library.md is current (npm run build:catalogue)", () => {
    expect(readFileSync(path.join(ROOT, "docs", "library.md"), "utf8")).toBe(renderCatalogue(policies, mutations));
  });

  it("gives every policy a title, a description, a category, a severity and at least an allow, a deny with its message, an edge case and a skip", () => {
    for (const { definition, policy } of loaded.policies.map((p) => ({ definition: p.definition, policy: p.policy! }))) {
      expect(policy.title, policy.name).toBeTruthy();
      expect(policy.description?.length, policy.name).toBeGreaterThan(40);
      expect(CATEGORIES, policy.name).toContain(policy.category);
      expect(policy.severity, policy.name).toBeDefined();
      const tests = definition.tests;
      expect(tests.length, policy.name).toBeGreaterThanOrEqual(4);
      expect(
        tests.some((t) => t.expect === "allow"),
        policy.name,
      ).toBe(true);
      expect(
        tests.some((t) => t.expect === "deny" && t.message),
        policy.name,
      ).toBe(true);
      expect(
        tests.some((t) => t.expect === "skip"),
        policy.name,
      ).toBe(true);
      if (policy.subject === "pod") {
        // Pod policies are proven on a controller's pod template too.
        const kinds = tests.flatMap((t) => (typeof t.resource === "object" && !Array.isArray(t.resource) ? [t.resource["kind"]] : []));
        expect(
          kinds.some((k) => k === "Deployment" || k === "CronJob"),
          policy.name,
        ).toBe(true);
      }
    }
  });

  it("every case passes on every engine, with no disagreement", async () => {
    const out = path.join(tempDir(), "report.json");
    const r = await cli(["test", "--reporter", "json", "--output", out]);
    const report = JSON.parse(readFileSync(out, "utf8")) as { summary: Record<string, number> };
    expect(r.code, r.err).toBe(0);
    const cases = loaded.policies.reduce((n, p) => n + p.definition.tests.length, 0);
    const mutationCases = loaded.mutations.reduce((n, m) => n + m.definition.tests.length, 0);
    // Mutations a target cannot express are not run on its engine: 3 engines for their cases.
    const mutationEvaluations = loaded.mutations.reduce(
      (n, m) => n + m.definition.tests.length * (m.mutation!.targets.gatekeeper.enabled ? 4 : 3),
      0,
    );
    expect(report.summary).toMatchObject({
      policies: 49 + mutations.length,
      cases: cases + mutationCases,
      evaluations: cases * 4 + mutationEvaluations,
      failed: 0,
      errors: 0,
      disagreements: 0,
    });
  }, 300_000);
});

describe("library options", () => {
  const write = (dir: string, file: string, text: string) => {
    mkdirSync(path.join(dir, "policies"), { recursive: true });
    writeFileSync(path.join(dir, "policies", file), text);
  };

  it("renames a policy and adds instances, so two uses never collide; the library's cases stay with its documented parameters", async () => {
    const dir = tempDir();
    write(
      dir,
      "registries.ts",
      `import { restrictImageRegistries } from "policyc/library";
export const prod = restrictImageRegistries({ name: "prod-registries", instances: [{ name: "eu", params: { registries: ["eu.registry.example.com"] } }, { name: "us", params: { registries: ["us.registry.example.com"] } }] });
export const dev = restrictImageRegistries({ name: "dev-registries", enforcement: "warn", excludeNamespaces: [], params: { registries: ["ghcr.io"] } });
`,
    );
    const r = await cli(["build"], dir);
    expect(r.code, r.err).toBe(0);
    const files = (await import("../../src/emit/index.js")).readOutputDir(path.join(dir, "generated"));
    const kyverno = files.get("kyverno/prod-registries.yaml")!;
    expect(kyverno).toContain("name: prod-registries-eu");
    expect(kyverno).toContain("name: prod-registries-us");
    expect(kyverno).toContain('"eu.registry.example.com/"');
    expect(files.get("gatekeeper/dev-registries.yaml")).toContain("enforcementAction: warn");
    expect(files.get("kubernetes/dev-registries.yaml")).not.toContain("kube-system");
    // Own parameters: the library's cases (written for its example values) are not attached; the consumer writes theirs.
    const own = await loadPolicies(path.join(dir, "policies"), dir);
    expect(own.policies.map((p) => [p.policy!.name, p.definition.tests.length]).sort()).toEqual([
      ["dev-registries", 0],
      ["prod-registries", 0],
    ]);
  });

  it("refuses a required parameter left out, at the consumer's call", async () => {
    const dir = tempDir();
    write(
      dir,
      "registries.ts",
      `import { restrictImageRegistries } from "policyc/library";\n\nexport default restrictImageRegistries({} as never);\n`,
    );
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    const issue = (JSON.parse(r.out) as { issues: { code: string; message: string; source: { file: string; line: number } }[] }).issues[0]!;
    expect(issue).toMatchObject({ code: "invalid_params", source: { file: "policies/registries.ts", line: 3 } });
    expect(issue.message).toContain("params.registries");
  });

  it("carries its cases into a consumer's repository when the parameters are the documented ones", async () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, "policies", "network.ts"), path.join(dir, "policies", "network.ts"), { recursive: true });
    const r = await cli(["test", "--engine", "reference,gatekeeper", "-v"], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("PASS restrict-node-port");
  });
});

describe("library options follow one pattern", () => {
  const deploymentWith = (memory: string) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory } } }] },
      },
    },
  });

  it("requirePodRequestsLimits takes its caps as params, like every tunable policy", async () => {
    const { evaluate } = await import("../../src/testing/index.js");
    const capped = library.requirePodRequestsLimits({ name: "capped-resources", params: { maxMemory: "2Gi" } });
    expect(capped.issues).toEqual([]);
    expect(await evaluate(capped, deploymentWith("4Gi"))).toMatchObject({
      verdict: "deny",
      messages: [expect.stringContaining("above 2Gi")],
    });
    expect((await evaluate(capped, deploymentWith("1Gi"))).verdict).toBe("allow");
    expect(() => library.requirePodRequestsLimits({ instances: [{ name: "a", params: { maxMemory: "1Gi" } }] })).toThrow(/one instance/);
  });

  it("restrictBindingClusteradmin reads an empty namespace as Kubernetes writes it for users and groups", async () => {
    const { evaluate } = await import("../../src/testing/index.js");
    const policy = library.restrictBindingClusteradmin({ params: { allowed: [{ kind: "User", name: "alice", namespace: "" }] } });
    expect(policy.issues).toEqual([]);
    const binding = (subject: Record<string, string>) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "b" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [subject],
    });
    expect((await evaluate(policy, binding({ kind: "User", name: "alice" }))).verdict).toBe("allow");
    expect((await evaluate(policy, binding({ kind: "User", name: "alice", namespace: "" }))).verdict).toBe("allow");
    expect((await evaluate(policy, binding({ kind: "User", name: "bob" }))).verdict).toBe("deny");
  });
});
