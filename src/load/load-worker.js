// The worker thread that imports policy modules, so a module that calls process.exit, never
// settles or loops at import time ends only this thread: the main thread times it out and
// reports it (see load-policies.ts). Plain JS: Node runs it before any TypeScript is loaded.
//
// workerData: { hooks, policycUrl, libraryUrl }. A message { id, files } imports the files (all at
// once) and answers, per file, { id, file, defs } or { id, file, error }, then { id, done }.
import { register } from "node:module";
import { statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

register(workerData.hooks, { data: { policycUrl: workerData.policycUrl, libraryUrl: workerData.libraryUrl } });

// Load policyc's SDK now, while the main thread is still starting: policy modules all import it.
const warm = import(workerData.policycUrl).catch(() => {});

const POLICY = Symbol.for("policyc.policy-definition");
const EXCEPTION = Symbol.for("policyc.exception-definition");
const CONFIG = Symbol.for("policyc.config");
const SDK_ERROR = Symbol.for("policyc.sdk-error");

/**
 * The policy and exception definitions a module exports, in export order (default first), each
 * once. An exception's `def` has no `policy`; it is marked `exception: true`.
 */
function definitionsOf(mod) {
  const out = [];
  const seen = new Set();
  const names = Object.keys(mod).sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : 1));
  for (const exportName of names) {
    const value = mod[exportName];
    for (const def of Array.isArray(value) ? value : [value]) {
      if (!def || typeof def !== "object" || seen.has(def)) continue;
      if (def[POLICY] === true) {
        seen.add(def);
        const { name, policy, issues, tests, source } = def;
        out.push({ exportName, def: { name, ...(policy ? { policy } : {}), issues, tests, source } });
      } else if (def[EXCEPTION] === true) {
        seen.add(def);
        const { name, exception, issues, tests, source } = def;
        out.push({ exportName, exception: true, def: { name, ...(exception ? { exception } : {}), issues, tests, source } });
      }
    }
  }
  return out;
}

function describe(e) {
  if (e instanceof Error) {
    return {
      message: e.message,
      stack: e.stack ?? "",
      isError: true,
      ...(e[SDK_ERROR] === true ? { sdk: { code: e.code, source: e.source } } : {}),
    };
  }
  let text;
  try {
    text = typeof e === "string" ? e : `it threw ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    text = `it threw a value that is not an Error (${Object.prototype.toString.call(e)})`;
  }
  return { message: text, stack: "", isError: false };
}

parentPort.on("message", async ({ id, files }) => {
  await warm;
  await Promise.all(
    files.map(async (file) => {
      try {
        // The modification time in the URL makes this long-lived thread see edits.
        const mod = await import(`${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`);
        const defs = definitionsOf(mod);
        // A project configuration (defineConfig, or a plain object as the default export of a config file).
        const config =
          mod.default && typeof mod.default === "object" && (mod.default[CONFIG] === true || /policyc\.config\.[cm]?[tj]s$/.test(file))
            ? { ...mod.default }
            : undefined;
        try {
          parentPort.postMessage({ id, file, defs, ...(config ? { config } : {}) });
        } catch (e) {
          parentPort.postMessage({
            id,
            file,
            error: describe(new Error(`the policy holds a value that cannot be copied out of the module (${e.message})`)),
          });
        }
      } catch (e) {
        parentPort.postMessage({ id, file, error: describe(e) });
      }
    }),
  );
  parentPort.postMessage({ id, done: true });
});
