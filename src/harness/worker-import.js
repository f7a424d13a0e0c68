// How a second thread or process (case-thread-entry.js, apply-process-entry.js) imports its
// worker module. Plain JS: run from policyc's sources (src/, TypeScript, as in policyc's own tests)
// it first registers the loader's hooks, which transform those sources; run from the build (dist/)
// it imports the compiled worker directly.
import { existsSync } from "node:fs";
import { register } from "node:module";

/** Imports `<name>.ts` (sources) or `<name>.js` (build) beside this file. */
export async function importWorker(name) {
  const source = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(source)) return import(new URL(`./${name}.js`, import.meta.url).href);
  const src = new URL("../", import.meta.url).href;
  register(new URL("../load/hooks.js", import.meta.url).href, {
    data: { policycUrl: new URL("index.ts", src).href, libraryUrl: new URL("library/index.ts", src).href, transformUnder: src },
  });
  return import(source.href);
}
