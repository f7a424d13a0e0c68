// The thread policy modules are imported in (load-worker.js), started as early as the caller
// likes: bin/policyc.js starts it before loading the rest of policyc, so the thread loads the SDK
// while the main thread loads the CLI. Plain JS with no dependencies, for that reason.
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** policyc's own sources (src/, TypeScript) or its build (dist/, JavaScript). */
const ext = existsSync(new URL("../index.ts", import.meta.url)) ? "ts" : "js";
const data = {
  hooks: new URL("./hooks.js", import.meta.url).href,
  policycUrl: new URL(`../index.${ext}`, import.meta.url).href,
  libraryUrl: new URL(`../library/index.${ext}`, import.meta.url).href,
};

let shared;

/** The loader thread, started on first use; it does not keep the process alive. */
export function loaderThread() {
  if (!shared) {
    const w = new Worker(new URL("./load-worker.js", import.meta.url), { workerData: data });
    w.unref();
    // Each load in progress listens for its own answers (by id): a process loading policies
    // several times at once (tests, an embedding program) has as many listeners, by design.
    w.setMaxListeners(0);
    const forget = () => {
      if (shared === w) shared = undefined;
    };
    w.on("exit", forget);
    w.on("error", forget);
    shared = w;
  }
  return shared;
}

/** Forgets the thread (it was terminated): the next use starts a new one. */
export function dropLoaderThread(w) {
  if (shared === w) shared = undefined;
}
