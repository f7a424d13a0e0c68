/**
 * Finding and reading the project configuration: `policyc.config.ts` (or `.mts`, `.js`, `.mjs`,
 * `.json`) in the working folder. A config that does not fit its schema is bad input, located at
 * the field.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Issue } from "../ir/index.js";
import { importConfigModule } from "../load/index.js";
import { configSchema, type PolicycConfig } from "../sdk/index.js";
import { LineCounter, parseDocument } from "yaml";

export type { PolicycConfig };
import { fieldIssue, inputIssue, readFixtures } from "./fixtures.js";
import { readTextFile } from "./read-text.js";

export const CONFIG_FILES = ["policyc.config.ts", "policyc.config.mts", "policyc.config.js", "policyc.config.mjs", "policyc.config.json"];

export type ConfigResult =
  { readonly ok: true; readonly config: PolicycConfig; readonly file?: string } | { readonly ok: false; readonly issues: Issue[] };

/** The first duplicated key of JSON text, located (the yaml parser reads JSON and refuses duplicate keys). */
function duplicateKey(text: string): { message: string; at: { line: number; col: number } } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const e = doc.errors.find((x) => x.code === "DUPLICATE_KEY");
  return e
    ? {
        message: `a key is given twice: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
        at: lines.linePos(e.pos[0]),
      }
    : undefined;
}

export async function loadConfig(cwd: string): Promise<ConfigResult> {
  const found = CONFIG_FILES.filter((f) => existsSync(path.join(cwd, f)));
  if (found.length === 0) return { ok: true, config: {} };
  if (found.length > 1)
    return { ok: false, issues: [inputIssue("invalid_config", `several configuration files (${found.join(", ")}); keep one`, found[1]!)] };
  const file = path.join(cwd, found[0]!);
  let raw: unknown;
  if (file.endsWith(".json")) {
    const read = readTextFile(file);
    if (!read.ok) return { ok: false, issues: [inputIssue("invalid_config", read.message, found[0]!)] };
    try {
      raw = JSON.parse(read.text);
    } catch (e) {
      return { ok: false, issues: [inputIssue("invalid_config", `not JSON: ${(e as Error).message}`, found[0]!)] };
    }
    // JSON.parse keeps the last of two equal keys: a duplicated key is an error, located.
    const duplicate = duplicateKey(read.text);
    if (duplicate) return { ok: false, issues: [inputIssue("invalid_config", duplicate.message, found[0]!, duplicate.at)] };
  } else {
    const r = await importConfigModule(file);
    if (r.error !== undefined)
      return { ok: false, issues: [inputIssue("invalid_config", `cannot load the configuration: ${r.error}`, found[0]!)] };
    raw = r.config;
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data, file: found[0]! };
  // JSON: the field's line; TypeScript: the file.
  if (file.endsWith(".json")) readFixtures(file, cwd, { objects: false });
  return {
    ok: false,
    issues: parsed.error.issues.map((i) =>
      file.endsWith(".json")
        ? fieldIssue(file, cwd, i.path as (string | number)[], i.message, { code: "invalid_config" })
        : { ...inputIssue("invalid_config", i.message, found[0]!), path: i.path as (string | number)[] },
    ),
  };
}
