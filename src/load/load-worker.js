// The worker thread that imports policy modules, so a module that calls process.exit, never
// settles or loops at import time ends only this thread: the main thread times it out and
// reports it (see load-policies.ts). This file only registers policyc's module hooks (it is plain
// JS because Node runs it before any TypeScript can be loaded) and hands each request to
// module-exports.ts, which reads definitions with the SDK's own contract.
//
// workerData: { hooks, policycUrl, libraryUrl }.
import { register } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

register(workerData.hooks, { data: { policycUrl: workerData.policycUrl, libraryUrl: workerData.libraryUrl } });

// Load policyc's SDK now, while the main thread is still starting: policy modules all import it.
const warm = import(workerData.policycUrl).catch(() => {});
// From policyc's sources, the hooks resolve this to module-exports.ts; from its build, to the .js.
const exports = import("./module-exports.js");

parentPort.on("message", async (request) => {
  await warm;
  const { answerImports } = await exports;
  await answerImports(request, (message) => parentPort.postMessage(message));
});
