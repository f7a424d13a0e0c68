// The entry of apply's second process (apply-processes.ts). Plain JS: run from policyc's sources
// (src/, TypeScript, as in policyc's own tests) it first registers the loader's hooks, which
// transform those sources; run from its build (dist/) it imports the worker directly.
/* global AbortController */
import { existsSync } from "node:fs";
import { register } from "node:module";

// A signal from the first process (it was stopped) is heard from the start, while the worker loads.
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort());
process.once("SIGINT", () => stop.abort());
globalThis[Symbol.for("policyc.apply.stop")] = stop.signal;

const worker = new URL("./apply-process-worker.ts", import.meta.url);
if (existsSync(worker)) {
  const src = new URL("../", import.meta.url).href;
  register(new URL("../load/hooks.js", import.meta.url).href, {
    data: { policycUrl: new URL("index.ts", src).href, libraryUrl: new URL("library/index.ts", src).href, transformUnder: src },
  });
  await import(worker.href);
} else {
  await import(new URL("./apply-process-worker.js", import.meta.url).href);
}
