/**
 * ValidatingPolicies in the Kyverno Authz Server's evaluation modes in a Kyverno CLI test, as the
 * Kyverno CLI runs them: `httpPayloads` (HTTP requests, `object` an http.CheckRequest) and
 * `envoyPayloads` (Envoy CheckRequests, read as protobuf JSON), each judged by the policies of its
 * mode: the first validation returning a response decides (allowed: pass; denied: fail, with the
 * CLI's message), no decision is a skip; the Authz Server's libraries (http.*, envoy.*,
 * jwt.Decode) with Kyverno's.
 */
import { describe, expect, it } from "vitest";
import { cli, copyWithEdits, reportRows } from "../support/helpers.js";

const rows = reportRows;
const FOLDER = "test/kyverno/authz-payloads";

describe("a Kyverno CLI test of HTTP and Envoy payloads", () => {
  it("judges each payload by the policies of its mode", async () => {
    const r = await cli(["test", FOLDER, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.actual, x.status, x.messages])).toEqual([
      ["orders-api-writes", "http-list-orders.json", "pass", "pass", []],
      ["orders-api-writes", "http-create-order.json", "pass", "pass", []],
      [
        "orders-api-writes",
        "http-create-order-anonymous.json",
        "fail",
        "pass",
        ["request denied, reason: writes to the orders API need an API key"],
      ],
      // The valid keys come from a ConfigMap of the test's clusterResources (resource.Get).
      ["orders-api-writes", "http-create-order-unknown-key.json", "fail", "pass", ["request denied, reason: unknown API key"]],
      ["orders-api-writes", "http-delete-order.json", "fail", "pass", ["request denied, reason: deleting an order needs a change ticket"]],
      ["orders-api-writes", "http-health.json", "skip", "pass", []],
      ["admin-needs-admin-token", "envoy-admin.json", "pass", "pass", []],
      ["admin-needs-admin-token", "envoy-viewer.json", "fail", "pass", ["request denied with status code 403"]],
      ["admin-needs-admin-token", "envoy-expired.json", "fail", "pass", ["request denied with status code 401"]],
      ["admin-needs-admin-token", "envoy-anonymous.json", "fail", "pass", ["request denied with status code 401"]],
      ["admin-needs-admin-token", "envoy-shop.json", "skip", "pass", []],
    ]);
  });

  it("the request decides: a delete with its change ticket is allowed, a token signed with another key is an error", async () => {
    const dir = copyWithEdits(FOLDER, {
      "http-delete-order.json": (t) => t.replace('"X-Api-Key": ["k-123"]', '"X-Api-Key": ["k-123"], "X-Change-Ticket": ["CHG-7"]'),
      "envoy-policy.yaml": (t) => t.replace('"gateway-signing-key"', '"another-key"'),
    });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const got = (resource: string) => rows(r.out).find((x) => x.resource === resource)!;
    expect([got("http-delete-order.json").actual, got("http-delete-order.json").status]).toEqual(["pass", "fail"]);
    // jwt.Decode fails on a signature it cannot verify: under failurePolicy Fail, an error.
    expect([got("envoy-admin.json").actual, got("envoy-admin.json").status]).toEqual(["error", "error"]);
    expect(got("envoy-admin.json").cause?.detail).toMatch(/verif|signature/i);
    // No token at all is still denied before any decoding.
    expect(got("envoy-anonymous.json").actual).toBe("fail");
  });

  it("an Envoy payload is read as protobuf JSON: a field CheckRequest does not have is an input error, never a verdict", async () => {
    const dir = copyWithEdits(FOLDER, { "envoy-admin.json": (t) => t.replace('"method": "GET"', '"method": "GET", "verb": "GET"') });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const row = rows(r.out).find((x) => x.resource === "envoy-admin.json")!;
    expect([row.actual, row.status, row.cause?.code]).toEqual(["error", "error", "invalid_input"]);
    expect(row.cause?.detail).toMatch(/verb/);
  });

  it("a validation whose type is not the mode's response, or an unknown function, fails the build of the suite naming the field", async () => {
    const wrongType = copyWithEdits(FOLDER, {
      "http-policy.yaml": (t) => t.replace("- expression: http.Allowed().Response()", "- expression: 'true'"),
    });
    const a = await cli(["test", wrongType]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(
      /http-policy\.yaml:34:\d+ invalid_suite .*rule response output is expected to be of type http\.CheckResponse \(at spec\.validations\[3\]\.expression\)/,
    );
    const unknown = copyWithEdits(FOLDER, { "envoy-policy.yaml": (t) => t.replace("envoy.Allowed()", "envoy.Allow()") });
    const b = await cli(["test", unknown]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(
      /envoy-policy\.yaml:31:\d+ invalid_suite .*unknown function envoy\.Allow \(Kyverno.s envoy functions: envoy\.Allowed, [\s\S]*\(at spec\.validations\[2\]\.expression\)/,
    );
  });

  it("payload files must be JSON objects, as the CLI reads them", async () => {
    const yaml = copyWithEdits(FOLDER, { "http-health.json": "attributes:\n  method: POST\n" });
    const a = await cli(["test", yaml]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/http-health\.json invalid_suite HTTP payload http-health\.json: not JSON/);
    const list = copyWithEdits(FOLDER, { "envoy-shop.json": "[]\n" });
    const b = await cli(["test", list]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/invalid_suite Envoy payload envoy-shop\.json: its root must be an object/);
  });

  it("each document of the test file is a test of its own: rows are located in theirs", async () => {
    const r = await cli(["test", FOLDER, "--reporter", "json"]);
    const lines = rows(r.out).map((x) => [x.policy, x.case, x.location?.line]);
    expect(lines[0]).toEqual(["orders-api-writes", "results[0]", 18]);
    expect(lines.at(-1)).toEqual(["admin-needs-admin-token", "results[2]", 38]);
    // A field of the second test that is no field of the CLI's Test: located in it.
    const dir = copyWithEdits(FOLDER, {
      "kyverno-test.yaml": (t) => t.replace("  name: admin-gateway\n", "  name: admin-gateway\nenvoyPayload: x.json\n"),
    });
    const bad = await cli(["test", dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/kyverno-test\.yaml:27:\d+ invalid_suite envoyPayload is not a field of the Kyverno CLI's Test/);
  });

  it("a row naming an HTTP payload for an Envoy policy is an error saying so", async () => {
    const dir = copyWithEdits(FOLDER, {
      "kyverno-test.yaml": (t) =>
        t.replace("envoy-policy.yaml\n", "envoy-policy.yaml\nhttpPayloads: [http-health.json]\n") +
        '  - {policy: admin-needs-admin-token, resources: [http-health.json], kind: "", result: skip}\n',
    });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const row = rows(r.out).at(-1)!;
    expect([row.status, row.cause?.detail]).toEqual([
      "error",
      "admin-needs-admin-token is not in HTTP mode: the Kyverno CLI evaluates HTTP payloads only with ValidatingPolicies whose evaluation.mode is HTTP",
    ]);
  });
});
