import { readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { issue, type Issue, type Policy, type SourceLocation } from "../ir/index.js";
import { isPolicyDefinition, isSdkError, type PolicyDefinition } from "../sdk/index.js";
import { locateIssues } from "./locate.js";
import { nativeImport } from "./native-import.js";

/** A policy read from a file, with the file it came from. */
export interface LoadedPolicy {
  readonly file: string;
  readonly exportName: string;
  readonly definition: PolicyDefinition;
  readonly policy?: Policy;
}

export interface LoadResult {
  readonly policies: readonly LoadedPolicy[];
  readonly issues: readonly Issue[];
  readonly files: readonly string[];
}

let registered = false;

/** The running policyc's public entry point; policy files' `import "policyc"` resolves here. */
const POLICYC_ENTRY = new URL(import.meta.url.endsWith(".ts") ? "../index.ts" : "../index.js", import.meta.url).href;
/** Its policy library: `import … from "policyc/library"`. */
const LIBRARY_ENTRY = new URL(import.meta.url.endsWith(".ts") ? "../library/index.ts" : "../library/index.js", import.meta.url).href;

function registerHooks(): void {
  if (registered) return;
  const hooks = new URL("./hooks.js", import.meta.url);
  register(hooks.href, { data: { policycUrl: POLICYC_ENTRY, libraryUrl: LIBRARY_ENTRY } });
  registered = true;
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
export async function loadPolicies(dirOrFiles: string | readonly string[], cwd: string): Promise<LoadResult> {
  let files: string[];
  const linkIssues: Issue[] = [];
  if (typeof dirOrFiles === "string") {
    let st;
    try {
      st = statSync(dirOrFiles);
    } catch {
      return {
        policies: [],
        files: [],
        issues: [issue("policy_load_error", `policies directory ${dirOrFiles} does not exist`, undefined)],
      };
    }
    files = st.isDirectory() ? findPolicyFiles(dirOrFiles, linkIssues) : [dirOrFiles];
  } else files = [...dirOrFiles];
  registerHooks();
  const issues: Issue[] = [...linkIssues];
  const policies: LoadedPolicy[] = [];
  const rel = (f: string) => path.relative(cwd, f).split(path.sep).join("/");
  const absolute = files.map((f) => path.resolve(cwd, f));
  // All imports at once: the hooks thread strips one file's types while this thread evaluates
  // another. Results are then read in file order, so output does not depend on timing.
  const imported = await Promise.allSettled(
    // The modification time in the URL makes a long-lived process (tests, watch mode) see
    // edits instead of Node's cached module.
    absolute.map((abs) => nativeImport(`${pathToFileURL(abs).href}?mtime=${statSync(abs).mtimeMs}`) as Promise<Record<string, unknown>>),
  );
  for (const [i, abs] of absolute.entries()) {
    const result = imported[i]!;
    if (result.status === "rejected") {
      const e: unknown = result.reason;
      // An SDK call misused at the module's top level (customKind without a schema) keeps its code.
      issues.push(
        isSdkError(e)
          ? issue(e.code, e.message, errorLocation(e, abs, rel(abs)))
          : issue(
              "policy_load_error",
              `importing the policy module failed: ${e instanceof Error ? e.message.split("\n")[0] : describeThrown(e)}`,
              errorLocation(e, abs, rel(abs)),
            ),
      );
      continue;
    }
    const mod = result.value;
    const seen = new Set<unknown>();
    let found = 0;
    for (const [exportName, value] of Object.entries(mod).sort(([a], [b]) =>
      a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : 1,
    )) {
      const defs = Array.isArray(value) ? value : [value];
      for (const def of defs) {
        if (!isPolicyDefinition(def) || seen.has(def)) continue;
        seen.add(def);
        found++;
        const relocated = relocate(def, abs, rel(abs));
        policies.push({ file: rel(abs), exportName, definition: relocated, ...(relocated.policy ? { policy: relocated.policy } : {}) });
        issues.push(...relocated.issues);
      }
    }
    if (found === 0) {
      issues.push(
        issue(
          "no_policy_exported",
          "the file exports no policy: export default definePolicy({...}) (helper modules belong under lib/ or in files starting with _)",
          { file: rel(abs), line: 1, column: 1 },
        ),
      );
    }
  }
  return { policies, files: files.map((f) => rel(path.resolve(cwd, f))), issues: issues.length ? await locateIssues(issues, cwd) : [] };
}

/** Rewrites absolute source paths to paths relative to the working directory. */
function relocate(def: PolicyDefinition, abs: string, relPath: string): PolicyDefinition {
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
    ...(def.policy ? { policy: fix(def.policy) as Policy } : {}),
    issues: fix(def.issues) as Issue[],
    source: fix(def.source) as SourceLocation,
  };
}

/** Where in the policy file an import-time exception was thrown, from its stack. */
function errorLocation(e: unknown, abs: string, relPath: string): SourceLocation {
  const stack = e instanceof Error ? (e.stack ?? "") : "";
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

/** A thrown value that is not an Error, as text: whatever it is (an object without a prototype has no toString). */
function describeThrown(e: unknown): string {
  if (typeof e === "string") return e;
  try {
    return `it threw ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    return `it threw a value that is not an Error (${Object.prototype.toString.call(e)})`;
  }
}
