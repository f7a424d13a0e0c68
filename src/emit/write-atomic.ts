import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { issue, type Issue } from "../ir/index.js";
import { GENERATED_MARKER } from "./yaml.js";

/** Files of an output directory: relative POSIX path → content. */
export type FileSet = ReadonlyMap<string, string>;

export function readOutputDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.set(r, readFileSync(path.join(d, e.name), "utf8"));
    }
  };
  walk(dir, "");
  return out;
}

/** Files in the output directory that policyc did not write (no generated-by header). */
export function unownedFiles(existing: FileSet): string[] {
  return [...existing.entries()]
    .filter(([, c]) => !c.startsWith(GENERATED_MARKER))
    .map(([f]) => f)
    .sort();
}

export interface Drift {
  readonly stale: string[];
  readonly missing: string[];
  readonly extra: string[];
}

export function diffOutput(existing: FileSet, wanted: FileSet): Drift {
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [f, c] of wanted) {
    const had = existing.get(f);
    if (had === undefined) missing.push(f);
    else if (had !== c) stale.push(f);
  }
  const extra = [...existing.keys()].filter((f) => !wanted.has(f));
  return { stale: stale.sort(), missing: missing.sort(), extra: extra.sort() };
}

export interface WriteOptions {
  /** Called after the new tree is written and before it replaces the old one (tests inject failures here). */
  readonly beforeSwap?: () => void;
}

/**
 * Replaces `dir` with exactly `files`: everything is written to a temporary directory beside
 * it (same file system), which is renamed into place only when complete. A failure at any
 * point leaves `dir` as it was. Refuses to run when `dir` holds files policyc did not write.
 */
export function writeFilesAtomically(dir: string, files: FileSet, options: WriteOptions = {}): { changed: boolean; issues: Issue[] } {
  const existing = readOutputDir(dir);
  const foreign = unownedFiles(existing);
  if (foreign.length > 0) {
    return {
      changed: false,
      issues: foreign.map((f) =>
        issue(
          "unowned_output_file",
          `${path.join(dir, f)} was not written by policyc; the output directory belongs to policyc (move the file, or choose another --out)`,
          undefined,
        ),
      ),
    };
  }
  const drift = diffOutput(existing, files);
  if (existsSync(dir) && drift.stale.length + drift.missing.length + drift.extra.length === 0) return { changed: false, issues: [] };
  const parent = path.dirname(path.resolve(dir));
  mkdirSync(parent, { recursive: true });
  const suffix = randomBytes(6).toString("hex");
  const tmp = path.join(parent, `.${path.basename(dir)}.policyc-${suffix}`);
  const old = path.join(parent, `.${path.basename(dir)}.policyc-old-${suffix}`);
  try {
    mkdirSync(tmp);
    for (const [rel, content] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const target = path.join(tmp, rel);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    options.beforeSwap?.();
    if (existsSync(dir)) renameSync(dir, old);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (existsSync(old)) renameSync(old, dir);
      throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  return { changed: true, issues: [] };
}
