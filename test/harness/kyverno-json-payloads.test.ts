/**
 * ValidatingPolicies in JSON mode (`spec.evaluation.mode: JSON`) in a Kyverno CLI test, as the
 * Kyverno CLI runs them: `jsonPayloads` (and the deprecated `jsonPayload`) evaluated with the
 * payload as `object`, matchConstraints ignored, match conditions, variables and PolicyExceptions
 * applied; rows naming a payload by its file, or every payload when they name none; a JSON-mode
 * policy evaluated on the test's Kubernetes resources as JSON; a Kubernetes-mode policy never on a
 * payload.
 */
import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { cli, copyWithEdits, reportRows } from "../support/helpers.js";

const rows = reportRows;
const FOLDER = "test/kyverno/json-payloads";

describe("a Kyverno CLI test of JSON payloads", () => {
  it("evaluates JSON-mode ValidatingPolicies on each payload, and on resources read as JSON", async () => {
    const r = await cli(["test", FOLDER, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.actual, x.status, x.messages])).toEqual([
      // The policy's matchConstraints (pods) are not read: a payload is no Pod, yet it is judged.
      ["no-public-buckets", "bucket-public.json", "fail", "pass", ["bucket logs must not be public"]],
      ["no-public-buckets", "./bucket-private.yaml", "pass", "pass", []],
      // The PolicyException's match conditions read the payload.
      ["no-public-buckets", "scratch.json", "skip", "pass", []],
      // A ConfigMap read as JSON: the match condition (a bucket's type) is false.
      ["no-public-buckets", "ConfigMap/storage/bucket-settings", "skip", "pass", []],
      ["bucket-team-tag", "ConfigMap/storage/bucket-settings", "fail", "pass", ["every bucket names its team"]],
      // A row naming no resource takes every payload.
      ["bucket-team-tag", "bucket-public.json", "pass", "pass", []],
      ["bucket-team-tag", "./bucket-private.yaml", "pass", "pass", []],
      ["bucket-team-tag", "scratch.json", "pass", "pass", []],
      ["retention-days", "bucket-public.json", "pass", "pass", []],
      ["retention-days", "./bucket-private.yaml", "pass", "pass", []],
    ]);
  });

  it("a payload's values decide: a private bucket made public fails", async () => {
    const dir = copyWithEdits(FOLDER, { "bucket-private.yaml": (t) => t.replace("acl: private", "acl: public-read") });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const row = rows(r.out).find((x) => x.policy === "no-public-buckets" && x.resource === "./bucket-private.yaml")!;
    expect([row.actual, row.status, row.messages]).toEqual(["fail", "fail", ["bucket archive must not be public"]]);
  });

  it("the deprecated jsonPayload names one payload", async () => {
    const dir = copyWithEdits(FOLDER, {
      "kyverno-test.yaml": (t) =>
        t
          .replace(/jsonPayloads:\n( {2}- .*\n)+/, "jsonPayload: scratch.json\n")
          .replace(/results:\n(.*\n)+/, "results:\n  - {kind: '', policy: no-public-buckets, result: skip}\n"),
    });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.resource, x.actual])).toEqual([["scratch.json", "skip"]]);
  });

  it("a Kubernetes-mode policy is never evaluated on a payload: its row is an error saying so", async () => {
    const dir = copyWithEdits(FOLDER, {
      "kyverno-test.yaml": (t) => t + "  - {kind: '', policy: pods-only, resources: [scratch.json], result: pass}\n",
    });
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const row = rows(r.out).find((x) => x.policy === "pods-only")!;
    expect([row.status, row.cause?.detail]).toEqual([
      "error",
      "pods-only is not in JSON mode: the Kyverno CLI evaluates JSON payloads only with ValidatingPolicies whose evaluation.mode is JSON",
    ]);
  });

  it("a MutatingPolicy in JSON mode is refused by name, and the JSON rows it would change first are errors, never stale verdicts", async () => {
    const dir = copyWithEdits(FOLDER, {
      "kyverno-test.yaml": (t) =>
        t.replace(/^policies:\n/m, "policies:\n  - tag-buckets.yaml\n") +
        "  - {kind: '', policy: tag-buckets, isMutatingPolicy: true, resources: [scratch.json], result: pass}\n",
    });
    writeFileSync(
      path.join(dir, "tag-buckets.yaml"),
      [
        "apiVersion: policies.kyverno.io/v1",
        "kind: MutatingPolicy",
        "metadata: {name: tag-buckets}",
        "spec:",
        "  evaluation: {mode: JSON}",
        "  mutations:",
        "    - patchType: JSONPatch",
        '      jsonPatch: {expression: \'[JSONPatch{op: "add", path: "/team", value: "storage"}]\'}',
        "",
      ].join("\n"),
    );
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const mutating = rows(r.out).find((x) => x.policy === "tag-buckets")!;
    expect([mutating.status, mutating.cause?.code, mutating.cause?.detail]).toEqual([
      "error",
      "unsupported",
      "tag-buckets is a MutatingPolicy in JSON mode: policyc does not mutate JSON payloads",
    ]);
    const validating = rows(r.out).find((x) => x.policy === "bucket-team-tag" && x.status === "error")!;
    expect(validating.cause?.detail).toMatch(/validates JSON payloads after the JSON-mode MutatingPolicies tag-buckets mutate them/);
  });

  it("a payload that is not one object, or not JSON or YAML, is a located invalid_suite error", async () => {
    const array = copyWithEdits(FOLDER, { "scratch.json": '[{"type": "aws_s3_bucket"}]\n' });
    const a = await cli(["test", array]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/scratch\.json:1:1 invalid_suite JSON payload scratch\.json: its root must be an object/);
    const two = copyWithEdits(FOLDER, { "bucket-private.yaml": (t) => `${t}---\ntype: aws_s3_bucket\nname: second\n` });
    const b = await cli(["test", two]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(
      /bucket-private\.yaml invalid_suite JSON payload \.\/bucket-private\.yaml: the file must hold exactly one document \(it holds 2\)/,
    );
    const text = copyWithEdits(FOLDER, { "kyverno-test.yaml": (t) => t.replace("- scratch.json", "- scratch.txt") });
    writeFileSync(path.join(text, "scratch.txt"), "{}\n");
    const c = await cli(["test", text]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/invalid_suite JSON payload scratch\.txt: the file must be \.json, \.yaml or \.yml/);
  });
});
