/** Renders a Report: pretty (people), json (CI scripts: one object), junit (CI servers). */
import { createHash } from "node:crypto";
import path from "node:path";
import pc from "picocolors";
import { documentYaml } from "../emit/index.js";
import { findingsOf, formatCause, type Finding, type Report, type ResultRow } from "./report.js";

const reasonOf = (r: ResultRow): string | undefined => (r.cause ? formatCause(r.cause) : undefined);

export type TestReporter = "pretty" | "json" | "junit" | "sarif" | "github" | "policy-report";
export const REPORTERS: readonly TestReporter[] = ["pretty", "json", "junit", "sarif", "github", "policy-report"];

/** Where a row points people: the resource's file and line for `apply`, the case's for `test`. */
export function rowLocation(r: ResultRow): { file: string; line: number; column: number } | undefined {
  // apply rows are about a manifest; test rows about a case (where the policy or suite defines it).
  const at = r.subject ? (r.fieldLocation ?? r.resourceLocation ?? r.location) : (r.location ?? r.resourceLocation);
  return at ? { file: at.file, line: at.line, column: at.column } : r.source ? { file: r.source, line: 1, column: 1 } : undefined;
}

/**
 * A row that needs attention: failing, erroring, a finding of an audit or warn action, one an
 * object accepts (apply), or a suite's row skipped where it expected a result (Kyverno CLI tests).
 */
const needsAttention = (r: ResultRow) =>
  r.status === "fail" ||
  r.status === "error" ||
  r.status === "warn" ||
  (r.status === "skip" && r.cause?.kind === "skipped" && (r.subject !== undefined || r.expected !== "skip"));

/** A row as the JSON report writes it. */
function jsonRow(r: ResultRow) {
  const at = rowLocation(r);
  return {
    policy: r.policy,
    rule: r.rule,
    case: r.case,
    resource: r.resource,
    engine: r.engine,
    expected: r.expected,
    actual: r.actual,
    status: r.status,
    messages: r.messages,
    ...(r.cause ? { reason: formatCause(r.cause), cause: r.cause } : {}),
    ...(r.enforcement ? { enforcement: r.enforcement } : {}),
    ...(r.field ? { field: r.field } : {}),
    ...(at ? { location: at } : {}),
  };
}

/**
 * The JSON report (`{summary, results}`, indented by two spaces) in pieces, a row at a time: the
 * same text as one JSON.stringify of it, without holding the whole text (or a copy of every row)
 * at once — `apply` over 20,000 objects reports 500,000 rows.
 */
export function* renderJsonChunks(report: Report): Generator<string> {
  const summary = JSON.stringify(report.summary, null, 2).replace(/\n/g, "\n  ");
  if (report.results.length === 0) {
    yield `{\n  "summary": ${summary},\n  "results": []\n}\n`;
    return;
  }
  yield `{\n  "summary": ${summary},\n  "results": [\n`;
  for (const [i, r] of report.results.entries())
    yield `${i ? ",\n" : ""}    ${JSON.stringify(jsonRow(r), null, 2).replace(/\n/g, "\n    ")}`;
  yield "\n  ]\n}\n";
}

export function renderJson(report: Report): string {
  return [...renderJsonChunks(report)].join("");
}

/**
 * The report for people. By default only what needs attention (failing, erroring and skipped
 * cases) and the summary, as `kyverno test --fail-only` and `gator verify` print; `verbose`
 * (`-v`, `--detailed-results`) prints every case with its messages.
 */
export function renderPretty(report: Report, color: boolean, verbose = false, groupBy: "policy" | "resource" = "policy"): string {
  const c = pc.createColors(color);
  const mark = { pass: c.green("✓"), fail: c.red("✗"), error: c.red("!"), skip: c.yellow("-"), warn: c.yellow("⚠") } as const;
  const out: string[] = [];
  const where = (r: ResultRow) => {
    const at = rowLocation(r);
    return at ? c.dim(` ${at.file}:${at.line}`) : "";
  };
  const groups = new Map<string, ResultRow[]>();
  for (const r of report.results) {
    const key = groupBy === "policy" ? r.policy : r.resource;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [group, rows] of groups) {
    const bad = rows.some((r) => r.status === "fail" || r.status === "error");
    if (!verbose && !rows.some(needsAttention)) continue;
    const warned = !bad && rows.some((r) => r.status === "warn");
    const skipped = rows.some(
      (r) => r.status === "skip" && r.cause?.kind === "skipped" && r.subject === undefined && r.expected !== "skip",
    );
    const head = bad ? c.red("FAIL") : warned ? c.yellow("WARN") : skipped ? c.yellow("SKIP") : c.green("PASS");
    // A resource's heading points at where it starts; each finding under it, at its field.
    const start = rows[0]!.resourceLocation;
    out.push(`${head} ${c.bold(group)}${groupBy === "resource" && start ? c.dim(` ${start.file}:${start.line}`) : ""}`);
    const byCase = new Map<string, ResultRow[]>();
    const caseKey = (r: ResultRow) => (groupBy === "policy" ? `${r.case}\0${r.resource}` : r.policy);
    for (const r of rows) byCase.set(caseKey(r), [...(byCase.get(caseKey(r)) ?? []), r]);
    for (const caseRows of byCase.values()) {
      const first = caseRows[0]!;
      const worst = caseRows.find((r) => r.status === "fail" || r.status === "error") ?? caseRows.find((r) => r.status === "warn") ?? first;
      if (!verbose && !caseRows.some(needsAttention)) continue;
      const engines = caseRows.map((r) => `${r.engine}=${r.actual}`).join(" ");
      if (groupBy === "policy")
        out.push(
          `  ${mark[worst.status]} ${first.case} ${c.dim(`[${first.resource}]`)}  expected ${first.expected}, got ${engines}${where(first)}`,
        );
      else
        out.push(
          `  ${mark[worst.status]} ${first.policy}${first.rule ? `/${first.rule}` : ""}  ${engines}${worst.enforcement ? c.dim(` (${worst.enforcement})`) : ""}${fieldOf(worst, c)}`,
        );
      out.push(...caseDetails(caseRows, c));
      if (worst.status === "pass" && first.messages.length && first.expected !== "allow") out.push(`      ${c.dim(first.messages[0]!)}`);
    }
  }
  for (const n of report.notes) out.push(c.dim(`note: ${n}`));
  const s = report.summary;
  if (!verbose && s.evaluations > 0 && !report.results.some(needsAttention)) out.push(c.dim("(every case passed; -v prints them)"));
  out.push(summaryLine(report, color, groupBy));
  return out.join("\n") + "\n";
}

/** Where a finding of apply is: its field, at line:column of the resource's file. */
function fieldOf(r: ResultRow, c: ReturnType<typeof pc.createColors>): string {
  if (!r.field || !r.fieldLocation) return "";
  return c.dim(` at ${r.field} ${r.fieldLocation.file}:${r.fieldLocation.line}:${r.fieldLocation.column}`);
}

/**
 * What the engines said of one case (or one policy on one resource), each thing once: every
 * distinct cause with the engines that gave it, then every distinct message (naming the engines
 * when not all of them reported it), so a violation only one engine reports is never hidden.
 */
function caseDetails(rows: readonly ResultRow[], c: ReturnType<typeof pc.createColors>): string[] {
  const out: string[] = [];
  const byReason = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const reason = r.status === "pass" ? undefined : reasonOf(r);
    if (reason) byReason.set(reason, [...(byReason.get(reason) ?? []), r]);
  }
  for (const [reason, said] of byReason) {
    const text = said.some((r) => r.status !== "skip") ? c.red(reason) : c.yellow(reason);
    out.push(`      ${c.dim(said.map((r) => r.engine).join(", ") + ":")} ${text}`);
  }
  if (!rows.some((r) => r.status !== "pass")) return out;
  const byMessage = new Map<string, string[]>();
  for (const r of rows) for (const m of r.messages) byMessage.set(m, [...new Set([...(byMessage.get(m) ?? []), r.engine])]);
  const engines = new Set(rows.filter((r) => r.messages.length).map((r) => r.engine));
  for (const [m, said] of byMessage)
    out.push(`        ${c.dim("message:")} ${m}${said.length < engines.size ? c.dim(` (${said.join(", ")})`) : ""}`);
  return out;
}

/** The pretty report's last line: OK or FAILED, and the counts. */
export function summaryLine(report: Report, color: boolean, groupBy: "policy" | "resource" = "policy"): string {
  const c = pc.createColors(color);
  const s = report.summary;
  const bad = s.failed + s.errors > 0;
  const head = s.incomplete ? c.red("INCOMPLETE") : bad ? c.red("FAILED") : c.green("OK");
  const why = s.incomplete ? `\n${s.incomplete}` : "";
  return `${head}  ${s.cases} ${groupBy === "policy" ? "cases" : "resources"}, ${s.evaluations} evaluations: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors${s.warnings ? `, ${s.warnings} warnings` : ""}, ${s.skipped} skipped, ${s.disagreements} disagreements (${(s.durationMs / 1000).toFixed(2)} s)${why}`;
}

/** XML 1.0 text: escapes markup and drops characters XML cannot hold. */
export function xmlText(s: string): string {
  return (
    s
      // XML 1.0's Char production: tab, line feed and carriage return are the only control characters it allows.
      // eslint-disable-next-line no-control-regex
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
  );
}

/**
 * JUnit XML: one testsuite per policy (or gator test), one testcase per finding (a case's resource,
 * every engine folded in: the engines are named in its properties), with the time its evaluations
 * took and the case's own file and line.
 */
export function renderJunit(report: Report): string {
  const suites = new Map<string, Finding[]>();
  for (const f of findingsOf(report.results)) suites.set(f.first.policy, [...(suites.get(f.first.policy) ?? []), f]);
  const all = [...suites.values()].flat();
  const count = (fs: readonly Finding[], st: string) => fs.filter((f) => f.status === st).length;
  const s = report.summary;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="policyc" tests="${all.length}" failures="${count(all, "fail")}" errors="${count(all, "error")}" skipped="${count(all, "skip")}" time="${(s.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const [policy, findings] of suites) {
    const time = findings.reduce((n, f) => n + f.durationMs, 0);
    lines.push(
      `  <testsuite name="${xmlText(policy)}" tests="${findings.length}" failures="${count(findings, "fail")}" errors="${count(findings, "error")}" skipped="${count(findings, "skip")}" time="${(time / 1000).toFixed(3)}">`,
    );
    for (const f of findings) lines.push(...junitCase(policy, f));
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return lines.join("\n") + "\n";
}

function junitCase(policy: string, f: Finding): string[] {
  const r = f.first;
  const at = rowLocation(r);
  const where = at ? ` file="${xmlText(at.file)}" line="${at.line}"` : "";
  const out = [
    `    <testcase classname="${xmlText(policy)}" name="${xmlText(`${r.case} [${r.resource}]`)}" time="${(f.durationMs / 1000).toFixed(3)}"${where}>`,
    `      <properties><property name="engines" value="${xmlText(f.engines.join(","))}"/></properties>`,
  ];
  const detail = `expected ${r.expected}, actual ${f.actual}${f.reasons.length ? `: ${f.reasons.join("; ")}` : ""}`;
  const body = [detail, ...(at ? [`at ${at.file}:${at.line}`] : []), ...f.messages.map((m) => `message: ${m}`)].join("\n");
  const disagreement = f.rows.some((x) => x.cause?.kind === "disagreement");
  if (f.status === "fail")
    out.push(`      <failure message="${xmlText(detail)}" type="${disagreement ? "disagreement" : "mismatch"}">${xmlText(body)}</failure>`);
  else if (f.status === "error") out.push(`      <error message="${xmlText(detail)}" type="error">${xmlText(body)}</error>`);
  else if (f.status === "skip") out.push(`      <skipped message="${xmlText(f.reasons[0] ?? "skipped")}"/>`);
  else if (f.status === "warn") out.push(`      <system-out>${xmlText(["warning: " + detail, ...f.messages].join("\n"))}</system-out>`);
  else if (f.messages.length) out.push(`      <system-out>${xmlText(f.messages.join("\n"))}</system-out>`);
  out.push(`    </testcase>`);
  return out;
}

/** SARIF's level for a finding: an enforced failure or an error is an error, an audit/warn finding a warning. */
const sarifLevel = (f: Finding) => (f.status === "warn" ? "warning" : "error");

/** A finding for people, in one line: the resource, then every distinct message (else the cause). */
const findingText = (f: Finding) =>
  [
    f.first.resource,
    ...(f.messages.length ? f.messages : f.reasons.length ? f.reasons : [`expected ${f.first.expected}, got ${f.actual}`]),
  ].join(" — ");

/** What a finding is, whatever its line: policy, rule, resource and messages (SARIF's partialFingerprints, stable across runs). */
const fingerprint = (f: Finding) =>
  createHash("sha256")
    .update([f.first.policy, f.first.rule, f.first.resource, f.first.case, ...[...f.messages].sort()].join("\0"))
    .digest("hex")
    .slice(0, 32);

const SEVERITY_SCORE: Record<string, string> = { critical: "9.0", high: "7.0", medium: "5.0", low: "3.0", info: "1.0" };

/**
 * SARIF 2.1.0 (what code-scanning dashboards ingest): one rule per policy with its title,
 * description and severity, one result per finding that needs attention (the engines that
 * evaluated it named in its properties), located at the manifest's (apply) or case's (test) file
 * and line, with a fingerprint that stays the same across runs.
 */
export function renderSarif(report: Report, version: string): string {
  const names = [...new Set(report.results.map((r) => r.policy))].sort();
  const rules = names.map((name) => {
    const info = report.policies?.[name] ?? {};
    const severity = info.severity?.toLowerCase();
    return {
      id: name,
      name,
      shortDescription: { text: info.title ?? name },
      ...(info.description ? { fullDescription: { text: info.description } } : {}),
      defaultConfiguration: { level: severity === "low" || severity === "info" ? "warning" : "error" },
      properties: {
        ...(info.category ? { tags: [info.category] } : {}),
        ...(severity ? { severity, ...(SEVERITY_SCORE[severity] ? { "security-severity": SEVERITY_SCORE[severity] } : {}) } : {}),
      },
    };
  });
  const results = findingsOf(report.results)
    .filter((f) => f.status === "fail" || f.status === "error" || f.status === "warn")
    .map((f) => {
      const r = f.first;
      const at = rowLocation(r);
      return {
        ruleId: r.policy,
        ruleIndex: names.indexOf(r.policy),
        level: sarifLevel(f),
        message: { text: findingText(f) },
        ...(at
          ? {
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: at.file.split(path.sep).join("/") },
                    region: { startLine: Math.max(1, at.line), startColumn: Math.max(1, at.column) },
                  },
                },
              ],
            }
          : {}),
        partialFingerprints: { "policyc/v1": fingerprint(f) },
        properties: {
          engines: f.engines,
          resource: r.resource,
          status: f.status,
          ...(r.rule ? { rule: r.rule } : {}),
          ...(r.enforcement ? { enforcement: r.enforcement } : {}),
        },
      };
    });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "policyc", version, rules } }, results }],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/**
 * GitHub Actions workflow-command data: `%`, CR and LF escaped as the runner decodes them;
 * other control characters (NUL, ESC, DEL…) shown as `\u00XX` text, never raw in the command line.
 * Properties also escape `:` and `,`.
 */
const ghData = (s: string) =>
  [...s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")]
    .map((ch) => {
      const cp = ch.codePointAt(0)!;
      return cp < 0x20 || cp === 0x7f ? `\\u${cp.toString(16).padStart(4, "0")}` : ch;
    })
    .join("");
const ghProperty = (s: string) => ghData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/**
 * GitHub Actions workflow commands: one `::error` (failures, errors) or `::warning` (audit and
 * warn findings) per finding, annotating the manifest's or case's file and line in the pull
 * request; the title names the policy (and rule), the text the resource, the messages and the engines.
 */
export function renderGithub(report: Report): string {
  const out: string[] = [];
  for (const f of findingsOf(report.results)) {
    if (f.status !== "fail" && f.status !== "error" && f.status !== "warn") continue;
    const r = f.first;
    const at = rowLocation(r);
    const props = [
      ...(at ? [`file=${ghProperty(at.file.split(path.sep).join("/"))}`, `line=${at.line}`, `col=${at.column}`] : []),
      `title=${ghProperty(`${r.policy}${r.rule ? `/${r.rule}` : ""}`)}`,
    ].join(",");
    out.push(`::${f.status === "warn" ? "warning" : "error"} ${props}::${ghData(`${findingText(f)} (${f.engines.join(", ")})`)}`);
  }
  const s = report.summary;
  out.push(
    `::notice title=policyc::${ghData(`${s.evaluations} evaluations: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors, ${s.warnings} warnings, ${s.skipped} skipped`)}`,
  );
  return out.join("\n") + "\n";
}

/** A PolicyReport result's status: pass, fail, warn, error or skip (wgpolicyk8s.io/v1alpha2). */
const reportResult = (f: Finding) => f.status;
const SEVERITIES = new Set(["critical", "high", "medium", "low", "info"]);

/**
 * wgpolicyk8s.io/v1alpha2 PolicyReports, as Kyverno's reports controller writes them: one
 * PolicyReport per namespace for namespaced resources, one ClusterPolicyReport for the others.
 * One result per finding (the engines that evaluated it in its properties), naming the policy,
 * rule, resource and outcome; written as YAML 1.1, as everything Kubernetes reads (a namespace
 * named `yes` stays a string).
 */
export function renderPolicyReports(report: Report, timestamp: Date): string {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const groups = new Map<string, Finding[]>();
  for (const f of findingsOf(report.results)) {
    const parts = f.first.resource.split("/");
    const ns = f.first.subject ? (f.first.subject.namespace ?? "") : parts.length === 3 ? parts[1]! : "";
    groups.set(ns, [...(groups.get(ns) ?? []), f]);
  }
  const docs = [...groups.keys()].sort().map((ns) => {
    const findings = groups.get(ns)!;
    const count = (st: string) => findings.filter((f) => reportResult(f) === st).length;
    return {
      apiVersion: "wgpolicyk8s.io/v1alpha2",
      kind: ns ? "PolicyReport" : "ClusterPolicyReport",
      metadata: {
        name: ns ? `policyc-${ns}` : "policyc",
        ...(ns ? { namespace: ns } : {}),
        labels: { "app.kubernetes.io/managed-by": "policyc" },
      },
      summary: { pass: count("pass"), fail: count("fail"), warn: count("warn"), error: count("error"), skip: count("skip") },
      results: findings.map((f) => policyReportResult(report, f, ns, seconds)),
    };
  });
  return docs.map((d) => documentYaml(JSON.parse(JSON.stringify(d)))).join("---\n");
}

function policyReportResult(report: Report, f: Finding, ns: string, seconds: number) {
  const r = f.first;
  const [kind, ...rest] = r.resource.split("/");
  const subject = r.subject ?? { kind: kind!, name: rest.at(-1) ?? "", ...(ns ? { namespace: ns } : {}) };
  const info = report.policies?.[r.policy] ?? {};
  const severity = info.severity?.toLowerCase();
  return {
    source: "policyc",
    policy: r.policy,
    ...(r.rule ? { rule: r.rule } : {}),
    ...(info.category ? { category: info.category } : {}),
    ...(severity && SEVERITIES.has(severity) ? { severity } : {}),
    result: reportResult(f),
    message: f.messages.length ? f.messages.join("; ") : f.reasons.join("; "),
    properties: { engines: f.engines.join(",") },
    scored: true,
    timestamp: { seconds, nanos: 0 },
    resources: [subject],
  };
}
