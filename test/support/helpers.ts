import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { buildPolicies, type BuildOptions } from "../../src/build/index.js";
import { runCli } from "../../src/cli/index.js";
import { TARGET_NAMES } from "../../src/ir/index.js";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");

export function tempDir(prefix = "policyc-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Builds a policies directory in memory (nothing written). */
export function buildDir(policies: string, extra: Partial<BuildOptions> = {}) {
  return buildPolicies({ cwd: ROOT, policies, out: path.join(tempDir(), "out"), targets: TARGET_NAMES, dryRun: true, ...extra });
}

/** Runs the CLI in-process, capturing its output. */
export async function cli(args: string[], cwd = ROOT) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s), cwd, isTTY: false });
  return { code, out, err };
}

/** Every document of a YAML file. */
export function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS();
  });
}

/**
 * Copies a folder of the repository into a temp dir and applies edits: a function of a file's
 * text, a new text, or null to delete the file. Returns the copy's path.
 */
export function copyWithEdits(from: string, edits: Record<string, string | null | ((text: string) => string)> = {}): string {
  const dir = tempDir("policyc-copy-");
  cpSync(path.join(ROOT, from), dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const p = path.join(dir, file);
    if (edit === null) rmSync(p);
    else writeFileSync(p, typeof edit === "string" ? edit : edit(readFileSync(p, "utf8")));
  }
  return dir;
}

export interface JsonIssue {
  code: string;
  message: string;
  source?: { file: string; line: number; column: number };
  file?: string;
  path: (string | number)[];
}

/** The issues a `--reporter json` run printed on stdout. */
export function jsonIssues(out: string): JsonIssue[] {
  return (JSON.parse(out) as { issues: JsonIssue[] }).issues;
}

/** Runs `fn` with an environment variable set, restoring it (or its absence) afterwards. */
export async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

/** A row of a JSON report (`--reporter json`): the fields the tests read. */
export interface ReportRow {
  policy: string;
  rule?: string;
  resource: string;
  engine?: string;
  expected: string;
  actual: string;
  status: string;
  messages: string[];
  cause?: { code?: string; detail: string };
  reason?: string;
  case?: string;
  location?: { file: string; line: number; column: number };
}

/** The rows of a JSON report printed on standard output. */
export const reportRows = (out: string): ReportRow[] => (JSON.parse(out) as { results: ReportRow[] }).results;
