/**
 * Issue 30 item 10: 25 hostile strings (quotes, Rego, CEL and YAML fragments, format verbs, BOM,
 * NUL, ESC, DEL, YAML 1.1 booleans and null, bidi, markup) used as a policy's title, message,
 * parameter (a label value compared) and annotation key (read by the rule): every policy builds,
 * every engine evaluates it and agrees (messages included), and every reporter carries each string
 * back exactly (JSON) or escaped as its format requires (JUnit XML, SARIF, GitHub annotations).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { cli, tempDir } from "../support/helpers.js";

export const HOSTILE = [
  '"',
  "'",
  "\\",
  '"; allow := true; x := "',
  '") || true || ("',
  "}}{{ .x }}",
  "key: value",
  "- item",
  "%v %s %d %!",
  "\uFEFFbom",
  "nul\u0000nul",
  "esc\u001b[31mred",
  "yes",
  "on",
  "null",
  "del\u007f",
  "~",
  "#comment",
  "&anchor *alias",
  "${x} $(y) `z`",
  "line\nbreak\ttab",
  "rlo\u202eevil",
  "<script>&amp;",
  "]]>",
  "émoji 🎉",
];

const policy = (s: string, i: number) => `import { and, definePolicy, Pod, z } from "policyc";
const S = ${JSON.stringify(s)};
// A validation's message may not hold a line break (the API server refuses it: a located refusal, tested below).
const M = "denied: " + S.replace(/[\\r\\n]/g, " ");
export default definePolicy({
  name: "hostile-${i}",
  title: S,
  match: { kinds: [Pod] },
  params: z.object({ team: z.string() }),
  instances: [{ params: { team: S } }],
  rules: [{ name: "marked", assert: (pod, p) => and(pod.metadata.labels.at("team").equals(p.team), pod.metadata.annotations.at(S).exists()), message: M }],
  tests: [
    { name: "deny", resource: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { team: "other" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }, expect: "deny", message: M },
    { name: "allow", resource: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { team: S }, annotations: { [S]: "x" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }, expect: "allow" },
  ],
});
`;

describe("25 hostile strings round-trip through every engine and reporter", () => {
  it("a message with a line break is refused where written, for the targets that refuse it (the API server)", async () => {
    const d = tempDir("policyc-hostile-nl-");
    mkdirSync(path.join(d, "policies"));
    writeFileSync(path.join(d, "policies", "nl.ts"), policy("a\nb", 0).replace("const M = ", "const M = S; void "));
    const r = await cli(["build", "--policies", "policies", "--out", "out"], d);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/policies\/nl\.ts:\d+:\d+ unsupported_by_target kyverno: rule marked's message holds a line break/);
  }, 120_000);

  const dir = tempDir("policyc-hostile-");
  mkdirSync(path.join(dir, "policies"));
  HOSTILE.forEach((s, i) => writeFileSync(path.join(dir, "policies", `h${i}.ts`), policy(s, i)));

  it("build: every policy compiles for every target, and the YAML reads the strings back", async () => {
    const r = await cli(["build", "--policies", "policies", "--out", "out"], dir);
    expect(r.code, r.err).toBe(0);
    const { readFileSync } = await import("node:fs");
    HOSTILE.forEach((s, i) => {
      const docs = parseAllDocuments(readFileSync(path.join(dir, "out", "kyverno", `hostile-${i}.yaml`), "utf8"), { version: "1.1" }).map(
        (d) => d.toJS(),
      ) as {
        metadata: { annotations: Record<string, string> };
      }[];
      expect(docs[0]!.metadata.annotations["policies.kyverno.io/title"]).toBe(s);
    });
  }, 300_000);

  it("test: every engine evaluates every case, agreeing (messages included); JSON carries each message exactly", async () => {
    const r = await cli(["test", "policies", "--reporter", "json"], dir);
    const report = JSON.parse(r.out) as {
      summary: Record<string, number>;
      results: { policy: string; engine: string; messages: string[]; status: string }[];
    };
    expect(report.summary, r.err).toMatchObject({ cases: 50, evaluations: 200, failed: 0, errors: 0, disagreements: 0 });
    expect(r.code).toBe(0);
    HOSTILE.forEach((s, i) => {
      const denies = report.results.filter((x) => x.policy === `hostile-${i}` && x.messages.length);
      expect(denies.map((x) => x.engine).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno", "reference"]);
      for (const d of denies) expect(d.messages).toEqual([`denied: ${s.replace(/[\r\n]/g, " ")}`]);
    });
  }, 300_000);

  it("reporters: SARIF parses and carries each title; JUnit is well-formed XML; GitHub annotations stay on one line each", async () => {
    const run = async (reporter: string) =>
      (await cli(["test", "policies", "-v", "--reporter", reporter, "--engine", "reference"], dir)).out;
    const sarif = JSON.parse(await run("sarif")) as {
      runs: { tool: { driver: { rules: { id: string; shortDescription?: { text: string } }[] } } }[];
    };
    const rules = sarif.runs[0]!.tool.driver.rules;
    HOSTILE.forEach((s, i) => expect(rules.find((x) => x.id === `hostile-${i}`)?.shortDescription?.text).toBe(s));
    const junit = await run("junit");
    expect(junit.includes("\u0000") || junit.includes("\u001b")).toBe(false);
    expect(junit.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "")).not.toMatch(/<script>|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    // Every element closed in order: a minimal well-formedness check of the tags.
    const stack: string[] = [];
    for (const m of junit.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "").matchAll(/<(\/?)([A-Za-z][\w-]*)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]!);
    }
    expect(stack).toEqual([]);
    // Every case of the copy expects the opposite: each of the 50 fails and is annotated, on one line.
    const gh = await cli(["test", "policies", "--reporter", "github", "--engine", "reference"], withEveryCaseFailing());
    const annotations = gh.out.split("\n").filter((l) => l.startsWith("::error"));
    expect(annotations).toHaveLength(50);
    for (const line of annotations) expect(line.includes("\r") || line.includes("\u0000")).toBe(false);
  }, 300_000);
});

/** The hostile policies with every case expecting the opposite: each row fails, so the GitHub reporter annotates it. */
function withEveryCaseFailing(): string {
  const dir = tempDir("policyc-hostile-fail-");
  mkdirSync(path.join(dir, "policies"));
  HOSTILE.forEach((s, i) =>
    writeFileSync(
      path.join(dir, "policies", `h${i}.ts`),
      policy(s, i).replace('expect: "allow"', 'expect: "skip"').replace('expect: "deny", message: M', 'expect: "allow"'),
    ),
  );
  return dir;
}
