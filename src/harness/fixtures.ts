import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { isScalar, LineCounter, parseAllDocuments, type Document } from "yaml";
import type { KubeObject } from "../engines/request.js";
import type { Issue } from "../ir/index.js";

/** What kind of bad test input; stable codes reporters and tests match on. */
export type FixtureErrorCode = "invalid_fixture" | "invalid_suite" | "invalid_template" | "missing_file";

export interface FixtureErrorInit {
  readonly file: string;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  readonly message: string;
  readonly code?: FixtureErrorCode;
  /** The offending field inside the file's document, e.g. `["tests", 0, "template"]`. */
  readonly field?: readonly (string | number)[];
}

/** Bad test input (a missing fixture, invalid YAML, a malformed suite or case): exit 2, located. */
export class FixtureError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly detail: string;
  readonly code: FixtureErrorCode;
  readonly field: readonly (string | number)[];

  constructor(init: FixtureErrorInit) {
    const at = init.line ? `:${init.line}${init.column ? `:${init.column}` : ""}` : "";
    super(`${init.file}${at}: ${init.message}`);
    this.name = "FixtureError";
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.detail = init.message;
    this.code = init.code ?? "invalid_fixture";
    this.field = init.field ?? [];
  }

  toIssue(): Issue {
    return {
      code: this.code,
      message: this.detail,
      severity: "error",
      ...(this.line ? { source: { file: this.file, line: this.line, column: this.column ?? 1 } } : { file: this.file }),
      path: this.field,
    };
  }
}

/**
 * Bounds on one fixture document, so a hostile or broken fixture ends with a clear error instead
 * of exhausting the stack, memory or time of the run: the API server's request size limit
 * (3 MiB, so no cluster would ever admit a larger object), and a nesting depth far beyond real
 * objects (a Pod nests about 10 levels; CRDs with embedded templates about 30).
 */
export const FIXTURE_LIMITS = { bytes: 3 * 1024 * 1024, fileBytes: 64 * 1024 * 1024, depth: 100 } as const;

/** Why a value is beyond FIXTURE_LIMITS' depth, if it is (iterative: no recursion to overflow). */
export function depthProblem(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== "object") continue;
    if (d > FIXTURE_LIMITS.depth) return `nests deeper than ${FIXTURE_LIMITS.depth} levels`;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x && typeof x === "object") stack.push([x, d + 1]);
  }
  return undefined;
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
  readonly yaml: readonly Document[];
  readonly lines: LineCounter;
  readonly text: string;
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
    const bytes = statSync(abs).size;
    if (bytes > FIXTURE_LIMITS.fileBytes)
      throw new FixtureError({
        file: shown,
        message: `the file is ${(bytes / 2 ** 20).toFixed(0)} MiB; policyc reads fixture files up to ${FIXTURE_LIMITS.fileBytes / 2 ** 20} MiB`,
      });
    text = readFileSync(abs, "utf8");
  } catch (e) {
    if (e instanceof FixtureError) throw e;
    throw new FixtureError({ file: shown, message: "file not found", code: "missing_file" });
  }
  const lines = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  } catch (e) {
    if (e instanceof RangeError) throw new FixtureError({ file: shown, message: tooDeep });
    throw e;
  }
  if (!Array.isArray(docs)) throw new FixtureError({ file: shown, message: "not a YAML stream" });
  const out: Fixture[] = [];
  const starts: { line: number; col: number }[] = [];
  const nonEmpty = docs.filter((d) => d.contents !== null);
  for (const [i, doc] of nonEmpty.entries()) {
    const err = doc.errors[0];
    const range = doc.range ?? [0, 0, 0];
    const start = lines.linePos(range[0]);
    if (err) {
      const pos = lines.linePos(err.pos[0]);
      const stack = /Maximum call stack size exceeded/.test(err.message);
      throw new FixtureError({
        file: shown,
        line: pos.line,
        column: pos.col,
        message: stack ? tooDeep : `invalid YAML: ${err.message.split("\n")[0]}`,
      });
    }
    const size = range[2] - range[0];
    if (size > FIXTURE_LIMITS.bytes) {
      throw new FixtureError({
        file: shown,
        line: start.line,
        column: start.col,
        message: `document ${i + 1} is ${(size / 2 ** 20).toFixed(1)} MiB, more than the API server accepts (${FIXTURE_LIMITS.bytes / 2 ** 20} MiB)`,
      });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      if (e instanceof RangeError) throw new FixtureError({ file: shown, line: start.line, column: start.col, message: tooDeep });
      const msg = e instanceof Error ? e.message : String(e);
      throw new FixtureError({ file: shown, line: start.line, column: start.col, message: `invalid YAML: ${msg.split("\n")[0]}` });
    }
    const deep = depthProblem(value);
    if (deep)
      throw new FixtureError({
        file: shown,
        line: start.line,
        column: start.col,
        message: `document ${i + 1} ${deep}; policyc refuses fixtures nested that deep`,
      });
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new FixtureError({
        file: shown,
        line: start.line,
        column: start.col,
        message: "a fixture document must be a Kubernetes object (a YAML mapping)",
      });
    }
    out.push({ object: value as KubeObject, label: nonEmpty.length > 1 ? `${shown}#${i + 1}` : shown });
    starts.push(start);
  }
  if (out.length === 0) throw new FixtureError({ file: shown, message: "the file holds no YAML document" });
  const parsed = { shown, docs: out, starts, yaml: nonEmpty, lines, text };
  cache.set(abs, parsed);
  return options.objects === false ? out : checkObjects(parsed);
}

const tooDeep = `nests too deeply to parse (policyc accepts at most ${FIXTURE_LIMITS.depth} levels)`;

/** Resources must be Kubernetes objects: apiVersion and kind, reported at the document. */
function checkObjects(p: ParsedFile): Fixture[] {
  p.docs.forEach((d, i) => {
    const o = d.object;
    if (typeof o.apiVersion !== "string" || !o.apiVersion || typeof o.kind !== "string" || !o.kind) {
      throw new FixtureError({
        file: p.shown,
        line: p.starts[i]!.line,
        column: p.starts[i]!.col,
        message: `document ${i + 1} is not a Kubernetes object: apiVersion and kind are required`,
        field: [typeof o.apiVersion !== "string" || !o.apiVersion ? "apiVersion" : "kind"],
      });
    }
  });
  return p.docs;
}

/**
 * A bad field in a configuration file read with readFixtures (a suite, a Kyverno test): the error
 * points at the field, or at the nearest enclosing field that exists when it is missing.
 */
export function fieldError(
  file: string,
  root: string,
  field: readonly (string | number)[],
  message: string,
  o: { doc?: number; code?: FixtureErrorCode } = {},
): FixtureError {
  const doc = o.doc ?? 0;
  const parsed = cache.get(path.resolve(file));
  const shown = parsed?.shown ?? (path.relative(root, file) || file);
  let pos: { line: number; col: number } | undefined;
  const yamlDoc = parsed?.yaml[doc];
  if (parsed && yamlDoc) {
    for (let n = field.length; n >= 0 && !pos; n--) {
      const node = n === 0 ? yamlDoc.contents : yamlDoc.getIn(field.slice(0, n), true);
      const range = node && typeof node === "object" && "range" in node ? (node as { range?: [number, number, number] }).range : undefined;
      if (range) pos = parsed.lines.linePos(range[0]);
    }
  }
  return new FixtureError({ file: shown, line: pos?.line, column: pos?.col, message, code: o.code ?? "invalid_suite", field });
}

/**
 * Where line `row`, column `col` of a multi-line string field (a template's Rego) is in the file:
 * exact for block scalars (`rego: |`), the field's own line otherwise.
 */
export function positionInString(
  file: string,
  field: readonly (string | number)[],
  row: number,
  col: number,
  doc = 0,
): { line: number; column: number } | undefined {
  const parsed = cache.get(path.resolve(file));
  const node = parsed?.yaml[doc]?.getIn(field, true);
  if (!parsed || !isScalar(node) || !node.range) return undefined;
  const start = parsed.lines.linePos(node.range[0]);
  if (node.type !== "BLOCK_LITERAL" || row < 1) return { line: start.line, column: start.col };
  // The content starts on the line after the `|` header, indented like its first line.
  const first =
    parsed.text
      .split(/\r?\n/)
      .slice(start.line)
      .find((l) => l.trim() !== "") ?? "";
  const indent = first.length - first.trimStart().length;
  return { line: start.line + row, column: indent + Math.max(col, 1) };
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
