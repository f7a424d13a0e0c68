import { readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { issue, type Exception, type Issue, type Mutation, type Policy, type SourceLocation } from "../ir/index.js";
import {
  reviveExceptionDefinition,
  reviveMutationDefinition,
  revivePolicyDefinition,
  type ExceptionDefinition,
  type MutationDefinition,
  type PolicyDefinition,
} from "../sdk/index.js";
import { dropLoaderThread, loaderThread } from "./loader-thread.js";
import type { ImportedFile } from "./module-exports.js";
import { locateIssues } from "./locate.js";

/** A policy read from a file, with the file it came from. */
export interface LoadedPolicy {
  readonly file: string;
  readonly exportName: string;
  readonly definition: PolicyDefinition;
  readonly policy?: Policy;
}

/** An exception read from a file (defineException), with the file it came from. */
export interface LoadedException {
  readonly file: string;
  readonly exportName: string;
  readonly definition: ExceptionDefinition;
}

/** A mutation read from a file (defineMutation), with the file it came from. */
export interface LoadedMutation {
  readonly file: string;
  readonly exportName: string;
  readonly definition: MutationDefinition;
  readonly mutation?: Mutation;
}

export interface LoadResult {
  readonly policies: readonly LoadedPolicy[];
  readonly exceptions: readonly LoadedException[];
  readonly mutations: readonly LoadedMutation[];
  readonly issues: readonly Issue[];
  readonly files: readonly string[];
}

/** How long one policy module may take to import before it is reported as hanging (`--load-timeout`). */
export const DEFAULT_LOAD_TIMEOUT_MS = 30_000;

type WorkerFile = Omit<ImportedFile, "id">;

/**
 * Imports a TypeScript or JavaScript configuration module in the loader thread (the same hooks
 * as policy files: types stripped, `policyc` resolved) and answers its default export.
 */
export async function importConfigModule(file: string, timeoutMs = DEFAULT_LOAD_TIMEOUT_MS): Promise<{ config?: unknown; error?: string }> {
  const r = await importInThread([file], timeoutMs);
  const got = r.results.get(file);
  if (!got)
    return {
      error: r.ended === "timeout" ? `importing it took longer than ${timeoutMs / 1000} s` : "importing it ended the loader thread",
    };
  if (got.error) return { error: got.error.message };
  if (got.config === undefined) return { error: "it has no default export: export default defineConfig({ ... })" };
  return { config: got.config };
}

let nextId = 0;

/**
 * Ends the loader thread, so the next load imports every module afresh (watch mode, after a helper
 * module changed: policy files are re-imported by modification time, their imports are not).
 */
export async function restartLoader(): Promise<void> {
  const w = loaderThread();
  dropLoaderThread(w);
  await w.terminate();
  loaderThread();
}

/**
 * Ends the loader thread and frees what it imported; the next load starts a new one. For a run
 * that needs the memory more than the imports (a large run once its policies are built).
 */
export async function stopLoader(): Promise<void> {
  const w = loaderThread();
  dropLoaderThread(w);
  await w.terminate();
}

/** Starts the loader thread ahead of use, so it loads policyc's SDK while the caller does other work. */
export function prewarmLoader(): void {
  loaderThread();
}

/**
 * Imports policy modules in the loader thread. Resolves with each settled file's result, and the
 * files still pending when the thread ended (a module called process.exit, or crashed it) or
 * made no progress for `timeoutMs` (a module never settles, or loops: the thread is terminated).
 */
function importInThread(
  files: readonly string[],
  timeoutMs: number,
): Promise<{ results: Map<string, WorkerFile>; pending: string[]; ended?: "timeout" | "exit" }> {
  return new Promise((resolve) => {
    const w = loaderThread();
    const id = ++nextId;
    const results = new Map<string, WorkerFile>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (ended?: "timeout" | "exit") => {
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("exit", onExit);
      resolve({ results, pending: files.filter((f) => !results.has(f)), ...(ended ? { ended } : {}) });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        dropLoaderThread(w);
        void w.terminate();
        finish("timeout");
      }, timeoutMs);
    };
    const onMessage = (m: { id: number; done?: boolean } & Partial<WorkerFile>) => {
      if (m.id !== id) return;
      if (m.done) return finish();
      results.set(m.file!, m as WorkerFile);
      arm();
    };
    const onExit = () => finish("exit");
    w.on("message", onMessage);
    w.on("exit", onExit);
    arm();
    w.postMessage({ id, files });
  });
}

/** Every file's import result; a file that ends or hangs the thread is found by importing the pending ones one by one. */
async function importAll(files: readonly string[], timeoutMs: number): Promise<Map<string, WorkerFile | { ended: "timeout" | "exit" }>> {
  const out = new Map<string, WorkerFile | { ended: "timeout" | "exit" }>();
  const first = await importInThread(files, timeoutMs);
  for (const [f, r] of first.results) out.set(f, r);
  if (first.pending.length === 1) out.set(first.pending[0]!, { ended: first.ended ?? "exit" });
  else
    for (const f of first.pending) {
      const one = await importInThread([f], timeoutMs);
      out.set(f, one.results.get(f) ?? { ended: one.ended ?? "exit" });
    }
  return out;
}

/**
 * Policy files under a directory: `**\/*.ts`, except declaration and test files and helper
 * modules (anything under a `lib/` folder or whose name starts with `_`), which may export
 * no policy. Symbolic links are followed (a folder reached twice, a loop, is read once); a link
 * to nothing is an issue, never skipped silently.
 */
export function findPolicyFiles(dir: string, issues: Issue[] = []): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const isPolicyFile = (name: string) =>
    /\.m?ts$/.test(name) && !/\.d\.m?ts$/.test(name) && !/\.test\.m?ts$/.test(name) && !name.startsWith("_");
  const walk = (d: string) => {
    let real: string;
    try {
      real = realpathSync(d);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const full = path.join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          if (isPolicyFile(e.name) || !/\.[a-z]+$/i.test(e.name))
            issues.push(issue("policy_load_error", `${full} is a symbolic link to nothing (${readlinkSync(full)})`, undefined));
          continue;
        }
      }
      if (isDir) {
        if (e.name === "lib" || e.name.startsWith("_") || e.name === "fixtures") continue;
        walk(full);
      } else if (isFile && isPolicyFile(e.name)) out.push(full);
      // A policy file name that is a FIFO, a device or a socket (a link to /dev/zero): importing it
      // would block or read forever; never skipped in silence either.
      else if (!isDir && !isFile && isPolicyFile(e.name))
        issues.push(
          issue(
            "policy_load_error",
            `${full} is not a regular file (a FIFO, device or socket); policyc reads policies from files`,
            undefined,
          ),
        );
    }
  };
  walk(dir);
  return out;
}

/**
 * Loads every policy under `dir` (or the given files). Each file is imported once; every export
 * that is a policy definition counts. Problems (a module that throws, exports nothing, or
 * defines an invalid policy) come back as issues located in the policy's source.
 */
export async function loadPolicies(
  dirOrFiles: string | readonly string[],
  cwd: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<LoadResult> {
  let files: string[];
  const linkIssues: Issue[] = [];
  if (typeof dirOrFiles === "string") {
    let st;
    try {
      st = statSync(dirOrFiles);
    } catch {
      return {
        policies: [],
        exceptions: [],
        mutations: [],
        files: [],
        issues: [issue("policy_load_error", `policies directory ${dirOrFiles} does not exist`, undefined)],
      };
    }
    files = st.isDirectory() ? findPolicyFiles(dirOrFiles, linkIssues) : [dirOrFiles];
  } else files = [...dirOrFiles];
  const issues: Issue[] = [...linkIssues];
  const policies: LoadedPolicy[] = [];
  const exceptions: LoadedException[] = [];
  const mutations: LoadedMutation[] = [];
  const rel = (f: string) => path.relative(cwd, f).split(path.sep).join("/");
  const absolute = files.map((f) => path.resolve(cwd, f));
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  const imported = absolute.length ? await importAll(absolute, timeoutMs) : new Map();
  // Results are read in file order, so output does not depend on timing.
  for (const abs of absolute) {
    const result = imported.get(abs)!;
    if ("ended" in result) {
      issues.push(
        issue(
          "policy_load_error",
          result.ended === "timeout"
            ? `importing the policy module did not finish within ${timeoutMs / 1000} s (it never settles, or loops); --load-timeout sets the limit`
            : "importing the policy module ended the loader (process.exit, or an uncaught error): a policy module must only define policies",
          { file: rel(abs), line: 1, column: 1 },
        ),
      );
      continue;
    }
    if (result.error) {
      const e = result.error;
      // An SDK call misused at the module's top level (customKind without a schema) keeps its code.
      issues.push(
        e.sdk
          ? issue(e.sdk.code, e.message, errorLocation(e.stack, abs, rel(abs)))
          : issue(
              "policy_load_error",
              `importing the policy module failed: ${e.isError ? e.message.split("\n")[0] : e.message}`,
              errorLocation(e.stack, abs, rel(abs)),
            ),
      );
      continue;
    }
    let found = 0;
    for (const exported of result.defs ?? []) {
      found++;
      const { exportName } = exported;
      if ("mutation" in exported) {
        const relocated = relocate(reviveMutationDefinition(exported.def), abs, rel(abs));
        mutations.push({
          file: rel(abs),
          exportName,
          definition: relocated,
          ...(relocated.mutation ? { mutation: relocated.mutation } : {}),
        });
        issues.push(...relocated.issues);
        continue;
      }
      if (exported.exception) {
        const relocated = relocate(reviveExceptionDefinition(exported.def), abs, rel(abs));
        exceptions.push({ file: rel(abs), exportName, definition: relocated });
        issues.push(...relocated.issues);
        continue;
      }
      const relocated = relocate(revivePolicyDefinition(exported.def), abs, rel(abs));
      policies.push({ file: rel(abs), exportName, definition: relocated, ...(relocated.policy ? { policy: relocated.policy } : {}) });
      issues.push(...relocated.issues);
    }
    if (found === 0) {
      issues.push(
        issue(
          "no_policy_exported",
          "the file exports no policy, mutation or exception: export default definePolicy({...}) (helper modules belong under lib/ or in files starting with _)",
          { file: rel(abs), line: 1, column: 1 },
        ),
      );
    }
  }
  return {
    policies: oncePerDefinition(policies, cwd),
    exceptions: oncePerDefinition(exceptions, cwd),
    mutations: oncePerDefinition(mutations, cwd),
    files: files.map((f) => rel(path.resolve(cwd, f))),
    issues: issues.length ? await locateIssues(issues, cwd) : [],
  };
}

/**
 * One entry per definition: a policy (or exception) object re-exported by a second file is the
 * same definition, made by one definePolicy call at one place, so it is one policy, kept under the
 * file that defines it (else the first that exports it), not a duplicate name.
 */
function oncePerDefinition<L extends { readonly file: string; readonly definition: { readonly source: SourceLocation } }>(
  loaded: L[],
  cwd: string,
): L[] {
  const own = (l: L) => path.resolve(cwd, l.definition.source.file) === path.resolve(cwd, l.file);
  const at = (l: L) => `${path.resolve(cwd, l.definition.source.file)}\0${l.definition.source.line}\0${l.definition.source.column}`;
  const kept = new Map<string, L>();
  for (const l of loaded) {
    const prev = kept.get(at(l));
    if (!prev || (!own(prev) && own(l))) kept.set(at(l), l);
  }
  const chosen = new Set(kept.values());
  return loaded.filter((l) => chosen.has(l));
}

/** Rewrites absolute source paths to paths relative to the working directory. */
function relocate<D extends PolicyDefinition | ExceptionDefinition | MutationDefinition>(def: D, abs: string, relPath: string): D {
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = k === "file" && x === abs ? relPath : fix(x);
      return out;
    }
    return v;
  };
  return {
    ...def,
    ...("policy" in def && def.policy ? { policy: fix(def.policy) as Policy } : {}),
    ...("exception" in def && def.exception ? { exception: fix(def.exception) as Exception } : {}),
    ...("mutation" in def && def.mutation ? { mutation: fix(def.mutation) as Mutation } : {}),
    issues: fix(def.issues) as Issue[],
    source: fix(def.source) as SourceLocation,
  };
}

/** Where in the policy file an import-time exception was thrown, from its stack. */
function errorLocation(stack: string, abs: string, relPath: string): SourceLocation {
  const url = pathToFileURL(abs).href;
  for (const line of stack.split("\n")) {
    const i = line.indexOf(url);
    if (i === -1) continue;
    const m = /^(?:\?[^:\s]*)?:(\d+):(\d+)/.exec(line.slice(i + url.length));
    if (m) return { file: relPath, line: Number(m[1]), column: Number(m[2]) };
  }
  // Syntax errors name the position in the message instead.
  const m = new RegExp(`${abs.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)`).exec(stack);
  return { file: relPath, line: m ? Number(m[1]) : 1, column: 1 };
}
