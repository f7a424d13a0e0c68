/** Renders a Report: pretty (people), json (CI scripts: one object), junit (CI servers). */
import pc from "picocolors";
import { formatCause, type Report, type ResultRow } from "./report.js";

const reasonOf = (r: ResultRow): string | undefined => (r.cause ? formatCause(r.cause) : undefined);

export type TestReporter = "pretty" | "json" | "junit";

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
export function renderPretty(report: Report, color: boolean, verbose = false): string {
  const c = pc.createColors(color);
  const mark = { pass: c.green("✓"), fail: c.red("✗"), error: c.red("!"), skip: c.yellow("-") } as const;
  const out: string[] = [];
  const byPolicy = new Map<string, ResultRow[]>();
  for (const r of report.results) byPolicy.set(r.policy, [...(byPolicy.get(r.policy) ?? []), r]);
  for (const [policy, rows] of byPolicy) {
    const bad = rows.some((r) => r.status === "fail" || r.status === "error");
    if (!verbose && rows.every((r) => r.status === "pass")) continue;
    out.push(`${bad ? c.red("FAIL") : c.green("PASS")} ${c.bold(policy)}`);
    const byCase = new Map<string, ResultRow[]>();
    for (const r of rows) byCase.set(`${r.case}\0${r.resource}`, [...(byCase.get(`${r.case}\0${r.resource}`) ?? []), r]);
    for (const caseRows of byCase.values()) {
      const first = caseRows[0]!;
      const worst = caseRows.find((r) => r.status === "fail" || r.status === "error") ?? first;
      if (!verbose && caseRows.every((r) => r.status === "pass")) continue;
      const engines = caseRows.map((r) => `${r.engine}=${r.actual}`).join(" ");
      out.push(`  ${mark[worst.status]} ${first.case} ${c.dim(`[${first.resource}]`)}  expected ${first.expected}, got ${engines}`);
      for (const r of caseRows) {
        if (r.status === "pass") continue;
        const reason = reasonOf(r);
        if (reason) out.push(`      ${c.dim(r.engine + ":")} ${r.status === "skip" ? c.yellow(reason) : c.red(reason)}`);
        for (const m of r.messages) out.push(`        ${c.dim("message:")} ${m}`);
      }
      if (worst.status === "pass" && first.messages.length && first.expected !== "allow") out.push(`      ${c.dim(first.messages[0]!)}`);
    }
  }
  for (const n of report.notes) out.push(c.dim(`note: ${n}`));
  const s = report.summary;
  if (!verbose && s.passed === s.evaluations && s.evaluations > 0) out.push(c.dim("(every case passed; -v prints them)"));
  out.push(
    `${s.failed + s.errors ? c.red("FAILED") : c.green("OK")}  ${s.cases} cases, ${s.evaluations} evaluations: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors, ${s.skipped} skipped, ${s.disagreements} disagreements (${(s.durationMs / 1000).toFixed(2)} s)`,
  );
  return out.join("\n") + "\n";
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
      lines.push(`    <testcase classname="${xmlText(policy)}" name="${xmlText(name)}">`);
      const reason = reasonOf(r);
      const detail = `expected ${r.expected}, actual ${r.actual}${reason ? `: ${reason}` : ""}`;
      const body = [detail, ...r.messages.map((m) => `message: ${m}`)].join("\n");
      if (r.status === "fail")
        lines.push(
          `      <failure message="${xmlText(detail)}" type="${r.cause?.kind === "disagreement" ? "disagreement" : "mismatch"}">${xmlText(body)}</failure>`,
        );
      else if (r.status === "error") lines.push(`      <error message="${xmlText(detail)}" type="error">${xmlText(body)}</error>`);
      else if (r.status === "skip") lines.push(`      <skipped message="${xmlText(reason ?? "skipped")}"/>`);
      else if (r.messages.length) lines.push(`      <system-out>${xmlText(r.messages.join("\n"))}</system-out>`);
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return lines.join("\n") + "\n";
}
