/**
 * The Kyverno CLI's test format, field by field: every field of its schema is read by policyc or
 * refused by name, never ignored; and the fields CEL policies read of it (apiCallResponses,
 * globalContextEntries, paramResources, clusterResources, values namespaces, resourceSpecs, a
 * row's operation and status) change verdicts as they do in the Kyverno CLI.
 */
import { describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CLUSTER_RESOURCE,
  CONTEXT,
  RESOURCE_SPEC,
  RESULT,
  TEST,
  unreadField,
  USER_INFO,
  VALUES,
  type FieldRule,
  type FieldTable,
} from "../../src/harness/kyverno-test-format.js";
import { cli, reportRows } from "../support/helpers.js";

/**
 * The fields of the Kyverno CLI's test API, the union over its releases: the Go types of
 * cmd/cli/kubectl-kyverno/apis/v1alpha1 (Test, TestResult, TestResourceSpec, ValuesSpec,
 * Policy, Resource, NamespaceSelector, UserInfo/RequestInfo, Context, APICallResponseEntry,
 * GlobalContextEntryValue) and the CRDs generated from them in
 * cmd/cli/kubectl-kyverno/config/crds (cli.kyverno.io_tests.yaml, _values.yaml,
 * _userinfoes.yaml, _contexts.yaml). Field names only, transcribed.
 */
const UPSTREAM: Record<string, { table: FieldTable; fields: string[] }> = {
  Test: {
    table: TEST,
    fields: [
      "apiVersion",
      "kind",
      "metadata",
      "name",
      "policies",
      "resources",
      // The newest CLI's (its conditional-update-operation test).
      "oldResources",
      "jsonPayload",
      "jsonPayloads",
      "httpPayloads",
      "envoyPayloads",
      "targetResources",
      "variables",
      "paramResources",
      "userinfo",
      "results",
      "checks",
      "values",
      "exceptions",
      "context",
      "clusterResources",
      "apiCallResponses",
      "globalContextEntries",
      "attestations",
    ],
  },
  TestResult: {
    table: RESULT,
    fields: [
      "policy",
      "rule",
      "isValidatingAdmissionPolicy",
      "isValidatingPolicy",
      "isMutatingAdmissionPolicy",
      "isMutatingPolicy",
      "isGeneratingPolicy",
      "isDeletingPolicy",
      "isImageValidatingPolicy",
      "result",
      "kind",
      "patchedResource",
      "patchedResources",
      "generatedResource",
      "generatedResources",
      "cloneSourceResource",
      "failOnMissingResources",
      "status",
      "resource",
      "namespace",
      "resources",
      "resourceSpecs",
      "operation",
      "resourceOperation",
    ],
  },
  TestResourceSpec: { table: RESOURCE_SPEC, fields: ["group", "version", "kind", "namespace", "subresource", "name"] },
  Values: {
    table: VALUES,
    fields: ["apiVersion", "kind", "metadata", "globalValues", "policies", "namespaceSelector", "namespaces", "subresources", "variables"],
  },
  UserInfo: { table: USER_INFO, fields: ["apiVersion", "kind", "metadata", "roles", "clusterRoles", "userInfo", "dryRun"] },
  Context: { table: CONTEXT, fields: ["apiVersion", "kind", "metadata", "spec"] },
  ClusterResource: { table: CLUSTER_RESOURCE, fields: ["apiVersion", "kind", "metadata", "spec"] },
  ClusterResourceSpec: { table: nested(CLUSTER_RESOURCE, "spec"), fields: ["crds", "resources"] },
  APICallResponseEntry: { table: nested(TEST, "apiCallResponses"), fields: ["url", "urlPath", "method", "response"] },
  GlobalContextEntryValue: {
    table: nested(TEST, "globalContextEntries"),
    fields: ["name", "data", "resources", "resourceFiles", "fieldPath", "projections"],
  },
};
/** Context spec fields beyond the CLI's (images, resources): policyc's stubs for globalContext and http (docs/suites.md). */
const POLICYC_ADDITIONS: Record<string, string[]> = { ContextSpec: ["resources", "images", "globalContext", "http"] };

function nested(table: FieldTable, key: string): FieldTable {
  const rule = table[key] as FieldRule;
  if (typeof rule === "object" && "list" in rule) return rule.list;
  if (typeof rule === "object" && "object" in rule) return rule.object;
  throw new Error(`${key} is not a nested table`);
}

const isRefused = (rule: FieldRule | undefined) => typeof rule === "object" && "refused" in rule;

describe("the Kyverno CLI's test format, field by field", () => {
  it("every field of the CLI's schema is read or refused by name, and policyc reads no field the CLI does not have", () => {
    for (const [type, { table, fields }] of Object.entries(UPSTREAM)) {
      expect(fields.filter((f) => table[f] === undefined).map((f) => `${type}.${f}`)).toEqual([]);
      expect(
        Object.keys(table)
          .filter((f) => !fields.includes(f))
          .map((f) => `${type}.${f}`),
      ).toEqual([]);
    }
    expect(Object.keys(nested(CONTEXT, "spec")).sort()).toEqual([...POLICYC_ADDITIONS.ContextSpec!].sort());
  });

  it("a refused field is an issue naming it and saying why; a read one is none; an unknown one lists what is read", () => {
    for (const [type, { table, fields }] of Object.entries(UPSTREAM)) {
      for (const field of fields) {
        const issue = unreadField({ [field]: "x" }, table, { file: "/t/kyverno-test.yaml", root: "/t", what: `the Kyverno CLI's ${type}` });
        if (isRefused(table[field])) {
          expect(issue?.path, `${type}.${field}`).toEqual([field]);
          expect(issue?.message, `${type}.${field}`).toMatch(new RegExp(`^${field}: .*policyc`));
        } else {
          expect(issue, `${type}.${field}`).toBeUndefined();
        }
      }
      const unknown = unreadField({ notAField: 1 }, table, { file: "/t/kyverno-test.yaml", root: "/t", what: `the Kyverno CLI's ${type}` });
      expect(unknown?.message).toMatch(new RegExp(`^notAField is not a field of the Kyverno CLI's ${type} \\(it reads `));
    }
  });
});

/** A scratch copy of the test-format folder whose kyverno-test.yaml `edit` rewrites. */
function variant(edit: (text: string) => string): string {
  const to = path.join(mkdtempSync(path.join(os.tmpdir(), "policyc-kyverno-format-")), "test-format");
  cpSync("test/kyverno/test-format", to, { recursive: true });
  const file = path.join(to, "kyverno-test.yaml");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  return to;
}

const rows = reportRows;

describe("a Kyverno CLI test's fields, evaluated", () => {
  it("apiCallResponses, globalContextEntries, paramResources, clusterResources, values namespaces, resourceSpecs, status, operation", async () => {
    const r = await cli(["test", "test/kyverno/test-format", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.actual, x.status])).toEqual([
      ["approved-apps", "Pod/payments/billing", "pass", "pass"],
      ["approved-apps", "Pod/payments/scraper", "fail", "pass"],
      ["allowed-registries", "Pod/payments/billing", "pass", "pass"],
      ["allowed-registries", "Pod/payments/scraper", "fail", "pass"],
      ["max-replicas", "Deployment/default/web", "pass", "pass"],
      ["max-replicas", "Deployment/default/web-copy", "fail", "pass"],
      ["unique-app-label", "Deployment/default/web", "pass", "pass"],
      ["unique-app-label", "Deployment/default/web-copy", "fail", "pass"],
      ["namespace-team", "Pod/payments/billing", "pass", "pass"],
      ["namespace-team", "Pod/payments/scraper", "fail", "pass"],
      ["protect-deletion", "Pod/payments/scraper", "fail", "pass"],
      ["protect-deletion", "Pod/payments/billing", "pass", "pass"],
      ["protect-deletion", "Pod/payments/scraper", "skip", "pass"],
    ]);
    const messages = Object.fromEntries(rows(r.out).map((x) => [`${x.policy} ${x.resource} ${x.expected}`, x.messages]));
    expect(messages["max-replicas Deployment/default/web-copy fail"]).toEqual(["at most 5 replicas"]);
    // clusterResources are what resource.List sees: the test's own resources are not.
    expect(messages["unique-app-label Deployment/default/web-copy fail"]).toEqual(["app web-legacy already runs as web-legacy"]);
    expect(messages["namespace-team Pod/payments/scraper fail"]).toEqual(["the pod must carry its namespace team payments"]);
  });

  it("an apiCallResponse's statusCode and body are what http.Get answers", async () => {
    const dir = variant((t) => t.replace("statusCode: 200", "statusCode: 503"));
    const r = await cli(["test", dir, "--reporter", "json"]);
    const billing = rows(r.out).find((x) => x.policy === "approved-apps" && x.resource === "Pod/payments/billing")!;
    expect([billing.actual, billing.status, billing.messages]).toEqual(["fail", "fail", ["the approvals service answered 503"]]);
    expect(r.code).toBe(1);
  });

  it("a globalContextEntry's projection is JMESPath over its fieldPath's root", async () => {
    // Without fieldPath the projection reads the data itself, where "[].host" finds nothing.
    const dir = variant((t) => t.replace("    fieldPath: registries\n", "").replace('path: "[].host"', 'path: "registries[?public].host"'));
    const r = await cli(["test", dir, "--reporter", "json"]);
    const billing = rows(r.out).find((x) => x.policy === "allowed-registries" && x.resource === "Pod/payments/billing")!;
    expect([billing.actual, billing.messages]).toEqual(["fail", ["images come from an allowed registry"]]);
  });

  it("a row's operation DELETE reads the resource as the old object; without it the DELETE-only policy skips", async () => {
    const dir = variant((t) =>
      t.replace("resources: [scraper], operation: DELETE, result: fail", "resources: [scraper], operation: UPDATE, result: fail"),
    );
    const r = await cli(["test", dir, "--reporter", "json"]);
    const row = rows(r.out).filter((x) => x.policy === "protect-deletion")[0]!;
    expect([row.expected, row.actual, row.status]).toEqual(["fail", "skip", "skip"]);
  });

  it("values namespaces reach namespaceObject: without them the pod's team matches no namespace label", async () => {
    const dir = variant((t) => t.replace("labels: {team: payments}", "labels: {team: other}"));
    const r = await cli(["test", dir, "--reporter", "json"]);
    const billing = rows(r.out).find((x) => x.policy === "namespace-team" && x.resource === "Pod/payments/billing")!;
    expect([billing.actual, billing.messages]).toEqual(["fail", ["the pod must carry its namespace team other"]]);
  });
});

describe("a Kyverno CLI test's fields, refused or wrong", () => {
  const located = async (edit: (t: string) => string) => {
    const dir = variant(edit);
    const r = await cli(["test", dir]);
    return { code: r.code, err: r.err, file: path.join(path.basename(dir), "kyverno-test.yaml") };
  };

  it("an unknown field: exit 2 at its line, naming it", async () => {
    const r = await located((t) => t.replace("results:\n", "resultz: []\nresults:\n"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kyverno-test\.yaml:36:\d+ invalid_suite resultz is not a field of the Kyverno CLI's Test \(it reads /);
  });

  it("an unknown field of a row, of a resource spec, of an apiCallResponse: located where it is", async () => {
    const row = await located((t) => t.replace("result: pass}", "result: pass, resourse: x}"));
    expect(row.code).toBe(2);
    expect(row.err).toMatch(/invalid_suite resourse is not a field of the Kyverno CLI's Test/);
    const spec = await located((t) => t.replace("{kind: Deployment, name: web-copy}", "{kind: Deployment, name: web-copy, labels: {}}"));
    expect(spec.err).toMatch(/invalid_suite labels is not a field of the Kyverno CLI's Test/);
    const call = await located((t) => t.replace("    method: GET\n", "    method: GET\n    headers: {}\n"));
    expect(call.err).toMatch(/invalid_suite headers is not a field of the Kyverno CLI's Test/);
  });

  it("a field policyc cannot evaluate: exit 2, naming it and why", async () => {
    const checks = await located((t) => t + "checks:\n  - match: {}\n    assert: {}\n    error: {}\n");
    expect(checks.code).toBe(2);
    expect(checks.err).toMatch(/invalid_suite checks: assertion-tree checks \(kyverno-json\) are not evaluated by policyc/);
    const envoy = await located((t) =>
      t.replace("resources:\n  - resources.yaml\n", "resources:\n  - resources.yaml\nenvoyPayloads: [request.json]\n"),
    );
    // Read now (test/harness/kyverno-authz-payloads.test.ts): a payload file that is not there is a located error.
    expect(envoy.code).toBe(2);
    expect(envoy.err).toMatch(/request\.json missing_file Envoy payload request\.json: file not found/);
    const targets = await located((t) =>
      t.replace("resources:\n  - resources.yaml\n", "resources:\n  - resources.yaml\ntargetResources: [t.yaml]\n"),
    );
    expect(targets.err).toMatch(/invalid_suite targetResources: mutate-existing rules are not evaluated by policyc/);
    const generated = await located((t) => t.replace("result: skip}", "result: skip, generatedResource: generated.yaml}"));
    expect(generated.err).toMatch(/invalid_suite generatedResource: generation results are not evaluated by policyc/);
  });

  it("apiCallResponses and globalContextEntries are checked as the CLI checks them", async () => {
    const both = await located((t) =>
      t.replace(
        "  - url: https://approvals.example.com/api/apps\n",
        "  - url: https://approvals.example.com/api/apps\n    urlPath: /api/apps\n",
      ),
    );
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/invalid_suite url and urlPath are mutually exclusive/);
    const status = await located((t) => t.replace("statusCode: 200", "statusCode: 42"));
    expect(status.err).toMatch(/invalid_suite statusCode must be between 100 and 599/);
    const relative = await located((t) => t.replace("url: https://approvals.example.com/api/apps", "url: approvals/api/apps"));
    expect(relative.err).toMatch(/invalid_suite url "approvals\/api\/apps" must be an absolute http or https URL/);
    const noData = await located((t) => t.replace(/ {4}data:\n( {6}.*\n)+/, ""));
    expect(noData.err).toMatch(/invalid_suite one of data, resources or resourceFiles is required/);
    const badPath = await located((t) => t.replace('path: "[].host"', 'path: "[].host["'));
    expect(badPath.code).toBe(2);
    expect(badPath.err).toMatch(/globalContextEntries\[0\]: .* \(a JMESPath expression\)/);
  });
});
