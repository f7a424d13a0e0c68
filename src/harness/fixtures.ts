import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import type { KubeObject } from "../engines/request.js";

/** Bad test input (a missing fixture, invalid YAML, a malformed case): exit 2, located. */
export class FixtureError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string,
    readonly column?: number,
  ) {
    super(`${file}${line ? `:${line}${column ? `:${column}` : ""}` : ""}: ${message}`);
    this.name = "FixtureError";
  }
}

/** A YAML document with where it came from. */
export interface Fixture {
  readonly object: KubeObject;
  /** `file` or `file#2` for the second document; `inline` for inline objects. */
  readonly label: string;
}

interface ParsedFile {
  readonly shown: string;
  readonly docs: Fixture[];
  readonly starts: readonly { line: number; col: number }[];
}

const cache = new Map<string, ParsedFile>();

/**
 * Every non-empty document of a YAML file, as objects (cached per path for the run). Resources
 * must be Kubernetes objects (`apiVersion` and `kind`); `{ objects: false }` reads configuration
 * files (suites, values) that need not be.
 */
export function readFixtures(file: string, displayRoot: string, options: { objects?: boolean } = {}): Fixture[] {
  const abs = path.resolve(file);
  const hit = cache.get(abs);
  if (hit) return options.objects === false ? hit.docs : checkObjects(hit);
  const shown = path.relative(displayRoot, abs) || abs;
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch {
    throw new FixtureError(shown, undefined, "fixture file not found");
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(docs)) throw new FixtureError(shown, undefined, "not a YAML stream");
  const out: Fixture[] = [];
  const starts: { line: number; col: number }[] = [];
  const nonEmpty = docs.filter((d) => d.contents !== null);
  for (const [i, doc] of nonEmpty.entries()) {
    const err = doc.errors[0];
    if (err) {
      const pos = lines.linePos(err.pos[0]);
      throw new FixtureError(shown, pos.line, `invalid YAML: ${err.message.split("\n")[0]}`, pos.col);
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new FixtureError(shown, lines.linePos(doc.range[0]).line, "a fixture document must be a Kubernetes object (a YAML mapping)");
    }
    out.push({ object: value as KubeObject, label: nonEmpty.length > 1 ? `${shown}#${i + 1}` : shown });
    starts.push(lines.linePos(doc.range[0]));
  }
  if (out.length === 0) throw new FixtureError(shown, undefined, "the file holds no YAML document");
  const parsed = { shown, docs: out, starts };
  cache.set(abs, parsed);
  return options.objects === false ? out : checkObjects(parsed);
}

/** Resources must be Kubernetes objects: apiVersion and kind, reported at the document. */
function checkObjects(p: ParsedFile): Fixture[] {
  p.docs.forEach((d, i) => {
    const o = d.object;
    if (typeof o.apiVersion !== "string" || !o.apiVersion || typeof o.kind !== "string" || !o.kind) {
      throw new FixtureError(p.shown, p.starts[i]!.line, `document ${i + 1} is not a Kubernetes object: apiVersion and kind are required`, p.starts[i]!.col);
    }
  });
  return p.docs;
}

/** Forget cached files (tests that rewrite fixtures). */
export function clearFixtureCache(): void {
  cache.clear();
}

/** Files under a path that satisfy `accept`: the path itself if it is a file, else a recursive, sorted walk. */
export function findFiles(p: string, accept: (file: string) => boolean): string[] {
  if (statSync(p).isFile()) return accept(p) ? [p] : [];
  const out: string[] = [];
  for (const e of readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const full = path.join(p, e.name);
    if (e.isDirectory()) out.push(...findFiles(full, accept));
    else if (accept(full)) out.push(full);
  }
  return out;
}
