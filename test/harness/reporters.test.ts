/**
 * One result per finding in every reporter: the engines that evaluated a case's resource (or a
 * manifest) folded into one result, named in it, with every distinct message; SARIF fingerprints
 * stable across runs; JUnit times measured and lines at the case itself.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  renderGithub,
  renderJson,
  renderJsonChunks,
  renderJunit,
  renderPolicyReports,
  renderPretty,
  renderSarif,
  summarize,
  type EngineName,
  type Report,
  type ResultRow,
} from "../../src/harness/index.js";
import { cli, ROOT, tempDir } from "../support/helpers.js";

const ENGINES: EngineName[] = ["kyverno", "kubernetes", "gatekeeper", "reference"];

/** An apply-style report: each finding's rows, one per engine, with the messages each engine gave. */
function report(findings: { resource: string; messages: Partial<Record<EngineName, string[]>> }[]): Report {
  const rows: ResultRow[] = findings.flatMap((f, i) =>
    ENGINES.map((engine) => ({
      policy: "disallow-privileged",
      rule: "",
      case: "deploy/app.yaml",
      resource: f.resource,
      engine,
      expected: "allow",
      actual: "deny",
      status: "fail" as const,
      messages: f.messages[engine] ?? f.messages.reference ?? [],
      enforcement: "Deny",
      source: "deploy/app.yaml",
      resourceLocation: { file: "deploy/app.yaml", line: 10 * (i + 1), column: 1 },
      subject: { apiVersion: "apps/v1", kind: "Deployment", name: f.resource.split("/").at(-1)!, namespace: "shop" },
      durationMs: 2,
    })),
  );
  return { summary: summarize(rows, 0, 10), results: rows, notes: [], policies: { "disallow-privileged": { severity: "high" } } };
}

const twenty = report(
  Array.from({ length: 20 }, (_, i) => ({
    resource: `Deployment/shop/app-${i}`,
    messages: { reference: [`privileged container in app-${i}`] },
  })),
);

describe("one result per finding", () => {
  it("SARIF: 20 findings on four engines are 20 results, each naming its engines, with fingerprints stable across runs", () => {
    const log = JSON.parse(renderSarif(twenty, "0.0.0")) as {
      runs: { results: { properties: { engines: string[] }; partialFingerprints: Record<string, string> }[] }[];
    };
    const results = log.runs[0]!.results;
    expect(results).toHaveLength(20);
    expect(results[0]!.properties.engines).toEqual(ENGINES);
    const again = JSON.parse(renderSarif(twenty, "0.0.0")) as typeof log;
    expect(again.runs[0]!.results.map((r) => r.partialFingerprints)).toEqual(results.map((r) => r.partialFingerprints));
    expect(new Set(results.map((r) => r.partialFingerprints["policyc/v1"])).size).toBe(20);
  });

  it("GitHub: one annotation per finding, the policy once in its title", () => {
    const lines = renderGithub(twenty)
      .split("\n")
      .filter((l) => l.startsWith("::error"));
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe(
      "::error file=deploy/app.yaml,line=10,col=1,title=disallow-privileged::Deployment/shop/app-0 — privileged container in app-0 (kyverno, kubernetes, gatekeeper, reference)",
    );
  });

  it("PolicyReport: the fail count is the findings', not four times it", () => {
    const docs = parseAllDocuments(renderPolicyReports(twenty, new Date(0))).map(
      (d) => d.toJS() as { summary: { fail: number }; results: unknown[] },
    );
    expect(docs[0]!.summary.fail).toBe(20);
    expect(docs[0]!.results).toHaveLength(20);
  });

  it("JUnit: one testcase per finding, its time the engines' together", () => {
    const xml = new XMLParser({ ignoreAttributes: false }).parse(renderJunit(twenty)) as {
      testsuites: { testsuite: { testcase: { "@_time": string }[] } };
    };
    expect(xml.testsuites.testsuite.testcase).toHaveLength(20);
    expect(xml.testsuites.testsuite.testcase[0]!["@_time"]).toBe("0.008");
  });

  it("pretty: every distinct message is shown, naming the engines when not all of them said it", () => {
    const r = report([
      {
        resource: "Deployment/shop/app",
        messages: { reference: ["privileged container app"], gatekeeper: ["privileged container app", "privileged container sidecar"] },
      },
    ]);
    const text = renderPretty(r, false, false, "resource");
    expect(text).toContain("message: privileged container app\n");
    expect(text).toContain("message: privileged container sidecar (gatekeeper)");
  });
});

describe("the JSON report", () => {
  it("is written a row at a time, the same text as one JSON.stringify of it (messages with newlines, quotes, Unicode; no rows)", () => {
    const r = report([
      { resource: "Deployment/a", messages: { reference: ['line one\nline "two"', "naïve ✓ \u2028"] } },
      { resource: "Deployment/b", messages: { kyverno: [] } },
    ]);
    for (const shown of [r, { ...r, results: [] }]) {
      const text = renderJson(shown);
      expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2) + "\n");
      expect([...renderJsonChunks(shown)].length).toBe(shown.results.length ? shown.results.length + 2 : 1);
    }
    const parsed = JSON.parse(renderJson(r)) as { results: { messages: string[] }[] };
    expect(parsed.results).toHaveLength(8);
    expect(parsed.results.find((x) => x.messages.length === 2)?.messages[0]).toBe('line one\nline "two"');
  });
});

describe("measured and located", () => {
  it("JUnit times are measured, and each testcase points at its own case, not at definePolicy", async () => {
    const file = path.join(tempDir(), "report.xml");
    const r = await cli(["test", "--policies", "test/starter", "--reporter", "junit", "--output", file]);
    expect(r.code, r.err).toBe(0);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(file, "utf8")) as {
      testsuites: {
        testsuite: { "@_name": string; testcase: { "@_name": string; "@_time": string; "@_file": string; "@_line": string }[] }[];
      };
    };
    const suite = xml.testsuites.testsuite.find((s) => s["@_name"] === "disallow-privileged-containers")!;
    const source = readFileSync(path.join(ROOT, "test/starter/disallow-privileged-containers.ts"), "utf8").split("\n");
    const lines = suite.testcase.map((c) => Number(c["@_line"]));
    // Each case has a line of its own, where its object is written in tests: [...].
    expect(new Set(lines).size).toBe(suite.testcase.length);
    for (const line of lines) expect(source[line - 1]).toMatch(/resource:|^\s*\{/);
    expect(suite.testcase.reduce((n, c) => n + Number(c["@_time"]), 0)).toBeGreaterThan(0);
  });
});
