/** Renders a Report: pretty (people), json (CI scripts: one object), junit (CI servers). */
import path from "node:path";
import pc from "picocolors";
import { stringify as stringifyYaml } from "yaml";
import { formatCause, type Report, type ResultRow } from "./report.js";

const reasonOf = (r: ResultRow): string | undefined => (r.cause ? formatCause(r.cause) : undefined);

export type TestReporter = "pretty" | "json" | "junit" | "sarif" | "github" | "policy-report";
export const REPORTERS: readonly TestReporter[] = ["pretty", "json", "junit", "sarif", "github", "policy-report"];

/** Where a row points people: the resource's file and line for `apply`, the case's for `test`. */
export function rowLocation(r: ResultRow): { file: string; line: number; column: number } | undefined {
  // apply rows are about a manifest; test rows about a case (where the policy or suite defines it).
  const at = r.subject ? (r.resourceLocation ?? r.location) : (r.location ?? r.resourceLocation);
  return at ? { file: at.file, line: at.line, column: at.column } : r.source ? { file: r.source, line: 1, column: 1 } : undefined;
}

/** A row that needs attention: failing, erroring, or a finding of an audit or warn action. */
const needsAttention = (r: ResultRow) => r.status === "fail" || r.status === "error" || r.status === "warn";

export function renderJson(report: Report): string {
  const { summary, results } = report;
  return (
    JSON.stringify(
      {
        summary,
        results: results.map((r) => ({
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
        })),
      },
      null,
      2,
    ) + "\n"
  );
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
    const head = bad ? c.red("FAIL") : warned ? c.yellow("WARN") : c.green("PASS");
    out.push(`${head} ${c.bold(group)}${groupBy === "resource" ? where(rows[0]!) : ""}`);
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
          `  ${mark[worst.status]} ${first.policy}${first.rule ? `/${first.rule}` : ""}  ${engines}${worst.enforcement ? c.dim(` (${worst.enforcement})`) : ""}`,
        );
      for (const r of caseRows) {
        if (r.status === "pass") continue;
        const reason = reasonOf(r);
        if (reason) out.push(`      ${c.dim(r.engine + ":")} ${r.status === "skip" ? c.yellow(reason) : c.red(reason)}`);
        if (groupBy === "policy" || r === first || r.status === "error")
          for (const m of r.messages) out.push(`        ${c.dim("message:")} ${m}`);
      }
      if (worst.status === "pass" && first.messages.length && first.expected !== "allow") out.push(`      ${c.dim(first.messages[0]!)}`);
    }
  }
  for (const n of report.notes) out.push(c.dim(`note: ${n}`));
  const s = report.summary;
  if (!verbose && s.evaluations > 0 && s.passed + s.skipped === s.evaluations) out.push(c.dim("(every case passed; -v prints them)"));
  out.push(summaryLine(report, color, groupBy));
  return out.join("\n") + "\n";
}

/** The pretty report's last line: OK or FAILED, and the counts. */
export function summaryLine(report: Report, color: boolean, groupBy: "policy" | "resource" = "policy"): string {
  const c = pc.createColors(color);
  const s = report.summary;
  const bad = s.failed + s.errors > 0;
  return `${bad ? c.red("FAILED") : c.green("OK")}  ${s.cases} ${groupBy === "policy" ? "cases" : "resources"}, ${s.evaluations} evaluations: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors${s.warnings ? `, ${s.warnings} warnings` : ""}, ${s.skipped} skipped, ${s.disagreements} disagreements (${(s.durationMs / 1000).toFixed(2)} s)`;
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

/** JUnit XML: one testsuite per policy (or gator test), one testcase per case, resource and engine. */
export function renderJunit(report: Report): string {
  const suites = new Map<string, ResultRow[]>();
  for (const r of report.results) suites.set(r.policy, [...(suites.get(r.policy) ?? []), r]);
  const s = report.summary;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="policyc" tests="${s.evaluations}" failures="${s.failed}" errors="${s.errors}" skipped="${s.skipped}" time="${(s.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const [policy, rows] of suites) {
    const count = (st: string) => rows.filter((r) => r.status === st).length;
    lines.push(
      `  <testsuite name="${xmlText(policy)}" tests="${rows.length}" failures="${count("fail")}" errors="${count("error")}" skipped="${count("skip")}">`,
    );
    for (const r of rows) {
      const name = `${r.case} [${r.resource}] (${r.engine})`;
      const at = rowLocation(r);
      const where = at ? ` file="${xmlText(at.file)}" line="${at.line}"` : "";
      lines.push(
        `    <testcase classname="${xmlText(policy)}" name="${xmlText(name)}" time="${((r.durationMs ?? 0) / 1000).toFixed(3)}"${where}>`,
      );
      const reason = reasonOf(r);
      const detail = `expected ${r.expected}, actual ${r.actual}${reason ? `: ${reason}` : ""}`;
      const body = [detail, ...(at ? [`at ${at.file}:${at.line}`] : []), ...r.messages.map((m) => `message: ${m}`)].join("\n");
      if (r.status === "fail")
        lines.push(
          `      <failure message="${xmlText(detail)}" type="${r.cause?.kind === "disagreement" ? "disagreement" : "mismatch"}">${xmlText(body)}</failure>`,
        );
      else if (r.status === "error") lines.push(`      <error message="${xmlText(detail)}" type="error">${xmlText(body)}</error>`);
      else if (r.status === "skip") lines.push(`      <skipped message="${xmlText(reason ?? "skipped")}"/>`);
      else if (r.status === "warn")
        lines.push(`      <system-out>${xmlText(["warning: " + detail, ...r.messages].join("\n"))}</system-out>`);
      else if (r.messages.length) lines.push(`      <system-out>${xmlText(r.messages.join("\n"))}</system-out>`);
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return lines.join("\n") + "\n";
}

/** SARIF's level for a row: an enforced failure or an error is an error, an audit/warn finding a warning. */
const sarifLevel = (r: ResultRow) => (r.status === "warn" ? "warning" : "error");

/** A row's message for annotations: the violation messages, else the cause. */
const findingText = (r: ResultRow) =>
  [
    `${r.policy}${r.rule ? `/${r.rule}` : ""} (${r.engine}): ${r.resource}`,
    ...(r.messages.length ? r.messages : [r.cause ? formatCause(r.cause) : `expected ${r.expected}, got ${r.actual}`]),
  ].join(" — ");

const SEVERITY_SCORE: Record<string, string> = { critical: "9.0", high: "7.0", medium: "5.0", low: "3.0", info: "1.0" };

/**
 * SARIF 2.1.0 (what code-scanning dashboards ingest): one rule per policy with its title,
 * description and severity, one result per failing, erroring or warning row, located at the
 * manifest's (apply) or case's (test) file and line.
 */
export function renderSarif(report: Report, version: string): string {
  const attention = report.results.filter(needsAttention);
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
  const results = attention.map((r) => {
    const at = rowLocation(r);
    return {
      ruleId: r.policy,
      ruleIndex: names.indexOf(r.policy),
      level: sarifLevel(r),
      message: { text: findingText(r) },
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
      properties: { engine: r.engine, resource: r.resource, status: r.status, ...(r.enforcement ? { enforcement: r.enforcement } : {}) },
    };
  });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "policyc", version, rules } }, results }],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/** GitHub Actions workflow-command data: `%`, CR and LF escaped; properties also `:` and `,`. */
const ghData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const ghProperty = (s: string) => ghData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/**
 * GitHub Actions workflow commands: one `::error` (failures, errors) or `::warning` (audit and
 * warn findings) per row, annotating the manifest's or case's file and line in the pull request.
 */
export function renderGithub(report: Report): string {
  const out: string[] = [];
  for (const r of report.results.filter(needsAttention)) {
    const at = rowLocation(r);
    const props = [
      ...(at ? [`file=${ghProperty(at.file.split(path.sep).join("/"))}`, `line=${at.line}`, `col=${at.column}`] : []),
      `title=${ghProperty(`${r.policy} (${r.engine})`)}`,
    ].join(",");
    out.push(`::${r.status === "warn" ? "warning" : "error"} ${props}::${ghData(findingText(r))}`);
  }
  const s = report.summary;
  out.push(
    `::notice title=policyc::${ghData(`${s.evaluations} evaluations: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors, ${s.warnings} warnings, ${s.skipped} skipped`)}`,
  );
  return out.join("\n") + "\n";
}

/** A PolicyReport result's status: pass, fail, warn, error or skip (wgpolicyk8s.io/v1alpha2). */
const reportResult = (r: ResultRow) =>
  r.status === "pass" ? "pass" : r.status === "skip" ? "skip" : r.status === "warn" ? "warn" : r.status === "error" ? "error" : "fail";
const SEVERITIES = new Set(["critical", "high", "medium", "low", "info"]);

/**
 * wgpolicyk8s.io/v1alpha2 PolicyReports, as Kyverno's reports controller writes them: one
 * PolicyReport per namespace for namespaced resources, one ClusterPolicyReport for the others.
 * Each result names the policy, rule, engine (source), resource and outcome.
 */
export function renderPolicyReports(report: Report, timestamp: Date): string {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const groups = new Map<string, ResultRow[]>();
  for (const r of report.results) {
    const parts = r.resource.split("/");
    const ns = parts.length === 3 ? parts[1]! : "";
    groups.set(ns, [...(groups.get(ns) ?? []), r]);
  }
  const docs = [...groups.keys()].sort().map((ns) => {
    const rows = groups.get(ns)!;
    const count = (st: string) => rows.filter((r) => reportResult(r) === st).length;
    return {
      apiVersion: "wgpolicyk8s.io/v1alpha2",
      kind: ns ? "PolicyReport" : "ClusterPolicyReport",
      metadata: {
        name: ns ? `policyc-${ns}` : "policyc",
        ...(ns ? { namespace: ns } : {}),
        labels: { "app.kubernetes.io/managed-by": "policyc" },
      },
      summary: { pass: count("pass"), fail: count("fail"), warn: count("warn"), error: count("error"), skip: count("skip") },
      results: rows.map((r) => {
        const [kind, ...rest] = r.resource.split("/");
        const subject = r.subject ?? { kind: kind!, name: rest.at(-1) ?? "", ...(ns ? { namespace: ns } : {}) };
        const info = report.policies?.[r.policy] ?? {};
        const severity = info.severity?.toLowerCase();
        return {
          source: `policyc/${r.engine}`,
          policy: r.policy,
          ...(r.rule ? { rule: r.rule } : {}),
          ...(info.category ? { category: info.category } : {}),
          ...(severity && SEVERITIES.has(severity) ? { severity } : {}),
          result: reportResult(r),
          message: r.messages.length ? r.messages.join("; ") : r.cause ? formatCause(r.cause) : "",
          scored: true,
          timestamp: { seconds, nanos: 0 },
          resources: [subject],
        };
      }),
    };
  });
  return docs.map((d) => stringifyYaml(JSON.parse(JSON.stringify(d)))).join("---\n");
}
