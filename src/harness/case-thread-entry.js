// The entry of the second case thread (case-thread.ts). Plain JS: run from policyc's sources
// (src/, TypeScript, as in policyc's own tests) it first registers the loader's hooks, which
// transform those sources; run from its build (dist/) it imports the worker directly.
import { existsSync } from "node:fs";
import { register } from "node:module";

const worker = new URL("./case-thread-worker.ts", import.meta.url);
if (existsSync(worker)) {
  const src = new URL("../", import.meta.url).href;
  register(new URL("../load/hooks.js", import.meta.url).href, {
    data: { policycUrl: new URL("index.ts", src).href, libraryUrl: new URL("library/index.ts", src).href, transformUnder: src },
  });
  await import(worker.href);
} else {
  await import(new URL("./case-thread-worker.js", import.meta.url).href);
}
