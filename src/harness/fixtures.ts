import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from "yaml";
import type { Issue, IssueCode, SourceLocation } from "../ir/index.js";
import { qualifiedName, type DocumentProblem } from "../engines/index.js";
import { GO_YAML_1_1, indentQuotedContinuations, type KubeObject } from "../kube/index.js";
import { readTextFile } from "./read-text.js";

/**
 * Bounds on one fixture document, so a hostile or broken fixture ends with a clear error instead
 * of exhausting the stack, memory or time of the run: the API server's request size limit
 * (3 MiB, so no cluster would ever admit a larger object), and a nesting depth far beyond real
 * objects (a Pod nests about 10 levels; CRDs with embedded templates about 30).
 */
export const FIXTURE_LIMITS = { bytes: 3 * 1024 * 1024, fileBytes: 8 * 1024 * 1024, depth: 100 } as const;

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
  /** `file` or `file#2` for the second document; `inline …` for inline objects. */
  readonly label: string;
  /** Where the document starts (inline objects: where the case is). */
  readonly location?: SourceLocation;
}

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issue: Issue };

/** A located issue about a test input file. */
export function inputIssue(
  code: IssueCode,
  message: string,
  file: string,
  at?: { line: number; col: number },
  field: readonly (string | number)[] = [],
): Issue {
  return { code, message, severity: "error", ...(at ? { source: { file, line: at.line, column: at.col } } : { file }), path: field };
}

/** A file's syntax: its non-empty YAML documents (positions of every node) and its lines. */
interface Syntax {
  readonly yaml: readonly Document[];
  readonly lines: LineCounter;
}

interface ParsedFile {
  readonly shown: string;
  readonly docs: Fixture[];
  /**
   * Held for files read to be located in (suites, policies, fixtures); not for `apply`'s inputs,
   * whose syntax trees weigh about 25 times their text (20,000 objects: 220 MB): parsed again
   * when a finding is located in them (syntaxOf).
   */
  readonly syntax?: Syntax;
  readonly mode: Mode;
  readonly text: string;
  /** The file's text as read (before any repair): a later read of other text parses again. */
  readonly read: string;
}

const cache = new Map<string, Read<ParsedFile>>();
const cacheKey = (abs: string, mode: Mode) => `${mode}\0${abs}`;
/** A file read either way (for locating fields in it). */
const cached = (abs: string) => cache.get(cacheKey(abs, "objects")) ?? cache.get(cacheKey(abs, "config"));
/** Whether a file was parsed (and is cached) in this thread. */
export const isParsed = (file: string): boolean => cached(path.resolve(file)) !== undefined;
/** What a document that is not a mapping is told. */
/** The message of a file with no YAML document (empty, or comments and `---` only). */
export const NO_DOCUMENT = "the file holds no YAML document";

export const NOT_A_MAPPING = "a fixture document must be a Kubernetes object (a YAML mapping)";
const tooDeep = `nests too deeply to parse (policyc accepts at most ${FIXTURE_LIMITS.depth} levels)`;

/**
 * How a file is read: `objects` (Kubernetes objects, templates, policies) as Go's YAML library
 * reads manifests, plain scalars in YAML 1.1; `config` (suites, test files, values), whose fields
 * Go decodes into typed strings, in YAML 1.2 so `violations: yes` stays the word it is.
 */
type Mode = "objects" | "config";

function parse(text: string, lines: LineCounter, mode: Mode) {
  // merge: `<<` merge keys are applied, as kubectl (Go's YAML) applies them.
  const options = { lineCounter: lines, prettyErrors: false, merge: true } as const;
  return parseAllDocuments(text, mode === "objects" ? { ...options, ...GO_YAML_1_1 } : options);
}

function parseFile(
  abs: string,
  shown: string,
  mode: Mode,
  previous?: Read<ParsedFile>,
  maxBytes: number = FIXTURE_LIMITS.fileBytes,
  documentBytes?: number,
  keepSyntax = true,
): Read<ParsedFile> {
  const bad = (message: string, at?: { line: number; col: number }, code: IssueCode = "invalid_fixture"): Read<ParsedFile> => ({
    ok: false,
    issue: inputIssue(code, message, shown, at),
  });
  // The harness's one reader: opened without blocking, regular files only, bounded.
  const read = readTextFile(abs, maxBytes);
  if (!read.ok) return bad(read.message, undefined, read.missing ? "missing_file" : "invalid_fixture");
  const text = read.text;
  if (previous?.ok && previous.value.read === text && previous.value.shown === shown) return previous;
  // A larger file than a fixture's (a cluster dump) is one List: its documents may be as large as the
  // file, unless the reader says otherwise (apply's inputs: many documents, each within the API server's limit).
  return parseText(
    text,
    shown,
    mode,
    documentBytes ?? (maxBytes === FIXTURE_LIMITS.fileBytes ? FIXTURE_LIMITS.bytes : maxBytes),
    keepSyntax,
  );
}

/** Documents that are not empty (a file ending in `---`, or `---` twice, has empty ones). */
const nonEmptyDocuments = (docs: readonly Document[]): Document[] =>
  docs.filter((d) => !(d.contents === null || (isScalar(d.contents) && d.contents.value === null && !d.contents.source)));

/** Syntax trees parsed again lately (syntaxOf), the most recent last: `apply` locates findings file by file. */
const reparsed = new Map<ParsedFile, Syntax>();
const REPARSED_KEPT = 4;

/** A parsed file's syntax: held, or parsed again from its text (which parsed without error before). */
function syntaxOf(p: ParsedFile): Syntax {
  if (p.syntax) return p.syntax;
  const held = reparsed.get(p);
  if (held) return held;
  const lines = new LineCounter();
  const docs = parse(p.text, lines, p.mode);
  const syntax = { yaml: nonEmptyDocuments(Array.isArray(docs) ? docs : []), lines };
  reparsed.set(p, syntax);
  if (reparsed.size > REPARSED_KEPT) reparsed.delete(reparsed.keys().next().value!);
  return syntax;
}

function parseText(
  text: string,
  shown: string,
  mode: Mode,
  documentBytes: number = FIXTURE_LIMITS.bytes,
  keepSyntax = true,
): Read<ParsedFile> {
  const bad = (message: string, at?: { line: number; col: number }, code: IssueCode = "invalid_fixture"): Read<ParsedFile> => ({
    ok: false,
    issue: inputIssue(code, message, shown, at),
  });
  const read = text;
  let lines = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parse(text, lines, mode);
    // Go's scanner accepts continuation lines of quoted scalars indented less than YAML requires;
    // read them as it does (same lines, same value) rather than fail on what kubectl accepts.
    const repaired = Array.isArray(docs) && docs.some((d) => d.errors.length) ? indentQuotedContinuations(text) : undefined;
    if (repaired !== undefined) {
      const again = new LineCounter();
      const retry = parse(repaired, again, mode);
      if (Array.isArray(retry) && retry.every((d) => d.errors.length === 0)) [docs, lines, text] = [retry, again, repaired];
    }
  } catch (e) {
    if (e instanceof RangeError) return bad(tooDeep);
    throw e;
  }
  if (!Array.isArray(docs)) return bad("not a YAML stream");
  const out: Fixture[] = [];
  // Empty documents (a file ending in `---`, or `---` twice) are skipped, as kubectl and the
  // Kyverno CLI skip them; a document that is present and not a mapping is still an error.
  const nonEmpty = nonEmptyDocuments(docs);
  for (const [i, doc] of nonEmpty.entries()) {
    const err = doc.errors[0];
    const range = doc.range ?? [0, 0, 0];
    // Where the object starts (its first field, after any `---` and comments), as editors point at it.
    const contentsAt = doc.contents && "range" in doc.contents ? doc.contents.range?.[0] : undefined;
    const start = lines.linePos(contentsAt ?? range[0]);
    if (err) {
      const pos = lines.linePos(err.pos[0]);
      return bad(/Maximum call stack size exceeded/.test(err.message) ? tooDeep : `invalid YAML: ${err.message.split("\n")[0]}`, pos);
    }
    const size = range[2] - range[0];
    if (size > documentBytes) {
      return bad(
        `document ${i + 1} is ${(size / 2 ** 20).toFixed(1)} MiB, more than the API server accepts (${documentBytes / 2 ** 20} MiB)`,
        start,
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      if (e instanceof RangeError) return bad(tooDeep, start);
      return bad(`invalid YAML: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`, start);
    }
    const deep = depthProblem(value);
    if (deep) return bad(`document ${i + 1} ${deep}; policyc refuses fixtures nested that deep`, start);
    if (!value || typeof value !== "object" || Array.isArray(value)) return bad(NOT_A_MAPPING, start);
    out.push({
      object: value as KubeObject,
      label: nonEmpty.length > 1 ? `${shown}#${i + 1}` : shown,
      location: { file: shown, line: start.line, column: start.col },
    });
  }
  if (out.length === 0) return bad(NO_DOCUMENT);
  return { ok: true, value: { shown, docs: out, ...(keepSyntax ? { syntax: { yaml: nonEmpty, lines } } : {}), mode, text, read } };
}

/**
 * Every non-empty document of a YAML file, as objects (parsed once per path while its text stays
 * the same: a process that runs several commands, vitest's, sees every edit). Resources
 * must be Kubernetes objects (`apiVersion` and `kind`); `{ objects: false }` reads configuration
 * files (suites, values) that need not be.
 */
export function readFixtures(
  file: string,
  displayRoot: string,
  options: { objects?: boolean; maxBytes?: number; documentBytes?: number } = {},
): Read<Fixture[]> {
  const parsed = parsedFile(file, displayRoot, options);
  if (!parsed.ok) return parsed;
  return options.objects === false ? { ok: true, value: parsed.value.docs } : checkObjects(parsed.value);
}

function parsedFile(
  file: string,
  displayRoot: string,
  options: { objects?: boolean; maxBytes?: number; documentBytes?: number; keepSyntax?: boolean },
) {
  const abs = path.resolve(file);
  const mode: Mode = options.objects === false ? "config" : "objects";
  const parsed = parseFile(
    abs,
    path.relative(displayRoot, abs) || abs,
    mode,
    cache.get(cacheKey(abs, mode)),
    options.maxBytes,
    options.documentBytes,
    options.keepSyntax,
  );
  cache.set(cacheKey(abs, mode), parsed);
  return parsed;
}

/**
 * The Kubernetes objects of a file of manifests, and each document that is not one as its own
 * located issue (`apply` reports those and goes on with the rest, as the Kyverno CLI does). A file
 * that cannot be read or parsed at all is one issue.
 */
export function readObjectDocuments(
  file: string,
  displayRoot: string,
  /** `keepSyntax`: hold the syntax tree (a small input, located in again and again); by default, not. */
  options: { maxBytes?: number; documentBytes?: number; keepSyntax?: boolean } = {},
): Read<{ objects: Fixture[]; invalid: Issue[] }> {
  const parsed = parsedFile(file, displayRoot, { ...options, keepSyntax: options.keepSyntax ?? false });
  return parsed.ok ? { ok: true, value: partitionObjects(parsed.value) } : parsed;
}

/** readObjectDocuments of text that is not a file (standard input), up to `maxBytes`. */
export function readObjectText(text: string, shown: string, options: { maxBytes: number }): Read<{ objects: Fixture[]; invalid: Issue[] }> {
  if (Buffer.byteLength(text) > options.maxBytes)
    return { ok: false, issue: inputIssue("invalid_fixture", `the input is larger than ${options.maxBytes / 2 ** 20} MiB`, shown) };
  const parsed = parseText(text, shown, "objects", FIXTURE_LIMITS.bytes, false);
  if (!parsed.ok) return parsed;
  cache.set(cacheKey(path.resolve(shown), "objects"), parsed);
  return { ok: true, value: partitionObjects(parsed.value) };
}

function partitionObjects(p: ParsedFile): { objects: Fixture[]; invalid: Issue[] } {
  const objects: Fixture[] = [];
  const invalid: Issue[] = [];
  p.docs.forEach((d, i) => {
    const problem = objectProblem(p, d, i);
    if (problem) invalid.push(problem);
    else objects.push(d);
  });
  return { objects, invalid };
}

/**
 * Every non-empty document of YAML text that is not a file (standard input), named `shown` in
 * reports; Kubernetes objects, read as Go reads manifests.
 */
export function readFixtureText(text: string, shown: string): Read<Fixture[]> {
  if (Buffer.byteLength(text) > FIXTURE_LIMITS.fileBytes)
    return {
      ok: false,
      issue: inputIssue("invalid_fixture", `the input is larger than ${FIXTURE_LIMITS.fileBytes / 2 ** 20} MiB`, shown),
    };
  const parsed = parseText(text, shown, "objects");
  if (!parsed.ok) return parsed;
  cache.set(cacheKey(path.resolve(shown), "objects"), parsed);
  return checkObjects(parsed.value);
}

/** Resources must be Kubernetes objects: apiVersion and kind, reported at the document. */
function checkObjects(p: ParsedFile): Read<Fixture[]> {
  for (const [i, d] of p.docs.entries()) {
    const issue = objectProblem(p, d, i);
    if (issue) return { ok: false, issue };
  }
  return { ok: true, value: p.docs };
}

/** Why document `i` of a file is not a Kubernetes object (apiVersion and kind), located at the document. */
function objectProblem(p: ParsedFile, d: Fixture, i: number): Issue | undefined {
  const o = d.object;
  const missing =
    typeof o.apiVersion !== "string" || !o.apiVersion ? "apiVersion" : typeof o.kind !== "string" || !o.kind ? "kind" : undefined;
  if (!missing) return undefined;
  const at = { line: d.location!.line, col: d.location!.column };
  return inputIssue("invalid_fixture", `document ${i + 1} is not a Kubernetes object: apiVersion and kind are required`, p.shown, at, [
    missing,
  ]);
}

/**
 * Where a field of a file read with readFixtures is: the field's own position, or the nearest
 * enclosing field that exists when it is missing.
 */
export function fieldLocation(
  file: string,
  field: readonly (string | number)[],
  doc = 0,
  /** `key`: a mapping's field at its key (`privileged:`), where a finding about it points; default its value. */
  at: "key" | "value" = "value",
): SourceLocation | undefined {
  const parsed = cached(path.resolve(file));
  if (!parsed?.ok) return undefined;
  const syntax = syntaxOf(parsed.value);
  const yamlDoc = syntax.yaml[doc];
  if (!yamlDoc) return undefined;
  for (let n = field.length; n >= 0; n--) {
    const node =
      n === 0
        ? yamlDoc.contents
        : ((at === "key" ? keyOf(yamlDoc, field.slice(0, n)) : undefined) ?? yamlDoc.getIn(field.slice(0, n), true));
    const range = node && typeof node === "object" && "range" in node ? (node as { range?: [number, number, number] }).range : undefined;
    if (range) {
      const pos = syntax.lines.linePos(range[0]);
      return { file: parsed.value.shown, line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

/** A mapping's key for the path's last segment (`privileged:` rather than its value), as editors and linters point. */
function keyOf(doc: Document, field: readonly (string | number)[]): unknown {
  const last = field[field.length - 1];
  const parent = field.length === 1 ? doc.contents : doc.getIn(field.slice(0, -1), true);
  if (typeof last !== "string" || !isMap(parent)) return undefined;
  return parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === last)?.key;
}

/** A located issue about a field of a configuration file (a suite, a Kyverno test, a template). */
export function fieldIssue(
  file: string,
  root: string,
  field: readonly (string | number)[],
  message: string,
  o: { doc?: number; code?: IssueCode } = {},
): Issue {
  const at = fieldLocation(file, field, o.doc);
  const shown = path.relative(root, path.resolve(file)) || file;
  return { code: o.code ?? "invalid_suite", message, severity: "error", ...(at ? { source: at } : { file: shown }), path: field };
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
): SourceLocation | undefined {
  const parsed = cached(path.resolve(file));
  if (!parsed?.ok) return undefined;
  const syntax = syntaxOf(parsed.value);
  const node = syntax.yaml[doc]?.getIn(field, true);
  if (!isScalar(node) || !node.range) return undefined;
  const start = syntax.lines.linePos(node.range[0]);
  const at = (line: number, column: number): SourceLocation => ({ file: parsed.value.shown, line, column });
  if (node.type !== "BLOCK_LITERAL" || row < 1) return at(start.line, start.col);
  // The content starts on the line after the `|` header, indented like its first line.
  const first =
    parsed.value.text
      .split(/\r?\n/)
      .slice(start.line)
      .find((l) => l.trim() !== "") ?? "";
  const indent = first.length - first.trimStart().length;
  return at(start.line + row, indent + Math.max(col, 1));
}

/** Forget cached files (tests that rewrite fixtures, watch mode). */
export function clearFixtureCache(): void {
  cache.clear();
  reparsed.clear();
}

/**
 * Files under a path that satisfy `accept`: the path itself if it is a file, else a recursive,
 * sorted walk, leaving out node_modules and hidden entries. `hidden`: walk hidden folders too
 * (not .git), as the Kyverno CLI finds tests in `.kyverno-test/` folders.
 */
export function findFiles(p: string, accept: (file: string) => boolean, o: { hidden?: boolean } = {}): string[] {
  if (statSync(p).isFile()) return accept(p) ? [p] : [];
  const out: string[] = [];
  for (const e of readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name === "node_modules" || e.name === ".git") continue;
    if (e.name.startsWith(".") && !(o.hidden && e.isDirectory())) continue;
    const full = path.join(p, e.name);
    if (e.isDirectory()) out.push(...findFiles(full, accept, o));
    else if (accept(full)) out.push(full);
  }
  return out;
}

/** Issues without repeats: a file several suites or tests read is reported once. */
export function uniqueIssues(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = JSON.stringify([i.code, i.message, i.source ?? i.file ?? "", i.path ?? []]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The YAML and JSON files a path names: the file itself, or every one under a folder (recursive, sorted). */
export function yamlFilesUnder(abs: string): string[] {
  return statSync(abs).isDirectory() ? findFiles(abs, (f) => /\.(ya?ml|json)$/.test(f)) : [abs];
}

/** An engine's problem with one of several documents read from files, located at its field in its file. */
export function documentProblemIssue(documents: readonly Fixture[], p: DocumentProblem, root: string, code: IssueCode): Issue {
  const f = documents[p.document]!;
  const doc = documents.slice(0, p.document).filter((x) => x.location?.file === f.location?.file).length;
  const file = path.resolve(root, f.location?.file ?? "");
  // A Rego or CEL error inside a field's text is located at its own line in the YAML.
  const at = p.position ? positionInString(file, p.field, p.position.row, p.position.col, doc) : undefined;
  const where = p.position
    ? ` (${p.field.includes("rego") || p.field.includes("libs") ? "Rego" : "expression"} line ${p.position.row})`
    : "";
  const named = `${f.object.kind} ${qualifiedName(f.object)}: `;
  const message = `${p.message.startsWith(named) ? "" : named}${p.message}${where}`;
  const located = fieldIssue(file, root, p.field, message, { doc, code });
  return at ? { ...located, source: at } : located;
}
