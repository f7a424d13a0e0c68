// The entry of apply's second process (apply-processes.ts): its worker, from the sources or the build.
/* global AbortController */
import { importWorker } from "./worker-import.js";

// A signal from the first process (it was stopped) is heard from the start, while the worker loads.
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort());
process.once("SIGINT", () => stop.abort());
globalThis[Symbol.for("policyc.apply.stop")] = stop.signal;

await importWorker("apply-process-worker");
