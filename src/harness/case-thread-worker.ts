/**
 * The second case thread's side (see case-thread.ts): it starts its CEL runtime from the main
 * thread's compiled module as soon as it is sent, then evaluates the cases it is given, posting
 * progress and, at the end, every case's outcome.
 */
import { parentPort } from "node:worker_threads";
import { CelRuntime } from "../engines/index.js";
import { collectCases } from "./policyc-cases.js";
import { evaluateCases, regoCompiler } from "./evaluate-cases.js";
import type { ToThread } from "./case-thread.js";

const port = parentPort!;
let runtime: Promise<CelRuntime> | undefined;
/** How many cases between two progress messages. */
const PROGRESS_EVERY = 16;

port.on("message", (m: ToThread) => {
  if (m.kind === "cel") {
    runtime = CelRuntime.get({ module: m.module });
    // A failure is reported by the run that needs the runtime.
    runtime.catch(() => {});
    return;
  }
  void run(m).then(
    (result) => port.postMessage({ kind: "done", result }),
    (e: unknown) => port.postMessage({ kind: "failed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});

async function run(m: Extract<ToThread, { kind: "run" }>) {
  const { cases } = collectCases(m.policies);
  const chosen = m.positions.map((i) => cases[i]!);
  const wantsCel = m.names.some((n) => n === "kyverno" || n === "kubernetes");
  const cel = wantsCel ? await (runtime ?? Promise.reject(new Error("the main thread sent no CEL engine"))) : undefined;
  const compiler = m.names.includes("gatekeeper") ? await regoCompiler() : undefined;
  let done = 0;
  return evaluateCases(
    chosen,
    {
      names: m.names,
      ...(compiler ? { compiler } : {}),
      ...(cel ? { runtime: cel } : {}),
      cacheDir: m.cacheDir,
      ...(m.now !== undefined ? { now: m.now } : {}),
    },
    m.cwd,
    {
      case: () => {
        if (++done % PROGRESS_EVERY === 0) port.postMessage({ kind: "progress", done: PROGRESS_EVERY });
      },
    },
  ).then((result) => {
    if (done % PROGRESS_EVERY) port.postMessage({ kind: "progress", done: done % PROGRESS_EVERY });
    return result;
  });
}
