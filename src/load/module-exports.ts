/**
 * What the loader thread answers about the modules it imports (load-worker.js runs this file):
 * the policy and exception definitions each exports, a configuration module's object, or the
 * error that stopped the import. The SDK's own markers and transfer functions say what a
 * definition is and what of it crosses the thread; load-policies.ts reads the same types.
 *
 * Loaded through policyc's module hooks with types stripped, not transformed: no TypeScript-only
 * run-time syntax here (no enums, no parameter properties).
 */
import { statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { IssueCode, SourceLocation } from "../ir/index.js";
import {
  isDefinedConfig,
  isExceptionDefinition,
  isMutationDefinition,
  isPolicyDefinition,
  isSdkError,
  transferExceptionDefinition,
  transferMutationDefinition,
  transferPolicyDefinition,
  type TransferredException,
  type TransferredMutation,
  type TransferredPolicy,
} from "../sdk/index.js";

/** Why importing a module failed, as data that crosses the thread. */
export interface ImportError {
  readonly message: string;
  readonly stack: string;
  readonly isError: boolean;
  /** An SDK call misused at the module's top level keeps its code and location. */
  readonly sdk?: { readonly code: IssueCode; readonly source: SourceLocation };
}

/** One definition a module exports, under which export name. */
export type ExportedDefinition =
  | { readonly exportName: string; readonly exception?: undefined; readonly def: TransferredPolicy }
  | { readonly exportName: string; readonly exception: true; readonly def: TransferredException }
  | { readonly exportName: string; readonly exception?: undefined; readonly mutation: true; readonly def: TransferredMutation };

/** The thread's answer about one file. */
export interface ImportedFile {
  readonly id: number;
  readonly file: string;
  readonly defs?: readonly ExportedDefinition[];
  readonly config?: unknown;
  readonly error?: ImportError;
}

/** What the main thread asks: import these files, all at once. */
export interface ImportRequest {
  readonly id: number;
  readonly files: readonly string[];
}

/** The definitions a module exports, in export order (default first), each once. */
export function definitionsOf(mod: Record<string, unknown>): ExportedDefinition[] {
  const out: ExportedDefinition[] = [];
  const seen = new Set<unknown>();
  const names = Object.keys(mod).sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : 1));
  for (const exportName of names) {
    const value = mod[exportName];
    for (const def of Array.isArray(value) ? value : [value]) {
      if (seen.has(def)) continue;
      if (isPolicyDefinition(def)) out.push({ exportName, def: transferPolicyDefinition(def) });
      else if (isMutationDefinition(def)) out.push({ exportName, mutation: true, def: transferMutationDefinition(def) });
      else if (isExceptionDefinition(def)) out.push({ exportName, exception: true, def: transferExceptionDefinition(def) });
      else continue;
      seen.add(def);
    }
  }
  return out;
}

/** An import's failure as data. */
export function describeError(e: unknown): ImportError {
  if (e instanceof Error)
    return {
      message: e.message,
      stack: e.stack ?? "",
      isError: true,
      ...(isSdkError(e) ? { sdk: { code: e.code, source: e.source } } : {}),
    };
  let text: string;
  try {
    text = typeof e === "string" ? e : `it threw ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    text = `it threw a value that is not an Error (${Object.prototype.toString.call(e)})`;
  }
  return { message: text, stack: "", isError: false };
}

/** Imports the request's files and posts, per file, its definitions or its error, then `{ id, done }`. */
export async function answerImports(
  request: ImportRequest,
  post: (message: ImportedFile | { id: number; done: true }) => void,
): Promise<void> {
  const { id } = request;
  await Promise.all(
    request.files.map(async (file) => {
      try {
        // The modification time in the URL makes this long-lived thread see edits.
        const mod = (await import(`${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`)) as Record<string, unknown>;
        const defs = definitionsOf(mod);
        // A project configuration: defineConfig's object, or a plain object as a config file's default export.
        const main = mod.default;
        const config =
          main && typeof main === "object" && (isDefinedConfig(main) || /policyc\.config\.[cm]?[tj]s$/.test(file))
            ? { ...main }
            : undefined;
        try {
          post({ id, file, defs, ...(config ? { config } : {}) });
        } catch (e) {
          const why = `the policy holds a value that cannot be copied out of the module (${(e as Error).message})`;
          post({ id, file, error: describeError(new Error(why)) });
        }
      } catch (e) {
        post({ id, file, error: describeError(e) });
      }
    }),
  );
  post({ id, done: true });
}
