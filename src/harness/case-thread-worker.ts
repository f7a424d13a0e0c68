/**
 * The second case thread's side (see case-thread.ts): it starts its CEL runtime from the main
 * thread's compiled module as soon as it is sent, then evaluates the cases it is given, posting
 * progress and, at the end, every case's outcome.
 */
import { parentPort } from "node:worker_threads";
import { CelRuntime } from "../engines/index.js";
import { runtimesNeeded, type Runtimes } from "./compose.js";
import type { EngineName } from "../engines/index.js";
import { evaluateCases } from "./evaluate-cases.js";
import { regoCompiler } from "./runtimes.js";
import type { ToThread } from "./case-thread.js";
import { evaluateApplyShare } from "./apply.js";
import { mutateJob } from "./apply-mutations.js";
import { runMutationCases } from "./mutation-cases.js";

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
  if (m.kind === "mutationCases") {
    // Mutations need the CEL engine alone (Gatekeeper's mutators are evaluated in TypeScript).
    void (runtime ?? Promise.reject(new Error("the main thread sent no CEL engine")))
      .then((cel) => runMutationCases(m.job.mutations, m.job.names, { cacheDir: m.job.cacheDir, cel }, m.job.cwd))
      .then(
        (result) => port.postMessage({ kind: "mutationCasesDone", result }),
        (e: unknown) => port.postMessage({ kind: "failed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
    return;
  }
  if (m.kind === "mutate") {
    void runtimesFor(m.job.names, m.job.cacheDir)
      .then((runtimes) => mutateJob(m.job, runtimes))
      .then(
        (result) => port.postMessage({ kind: "mutated", result }),
        (e: unknown) => port.postMessage({ kind: "failed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
    return;
  }
  if (m.kind === "apply") {
    void runtimesFor(m.share.names, m.share.cacheDir)
      .then((runtimes) => evaluateApplyShare(m.share, runtimes))
      .then(
        (result) => port.postMessage({ kind: "applied", result }),
        (e: unknown) => port.postMessage({ kind: "failed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
    return;
  }
  void run(m).then(
    (result) => port.postMessage({ kind: "done", result }),
    (e: unknown) => port.postMessage({ kind: "failed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});

/** The runtimes the engines need: the CEL engine from the main thread's module, OPA's compiler. */
async function runtimesFor(names: readonly EngineName[], cacheDir: string | undefined): Promise<Runtimes> {
  const needs = runtimesNeeded(names);
  const cel = needs.cel ? await (runtime ?? Promise.reject(new Error("the main thread sent no CEL engine"))) : undefined;
  const rego = needs.rego ? await regoCompiler() : undefined;
  return { cacheDir, ...(cel ? { cel } : {}), ...(rego ? { rego } : {}) };
}

async function run(m: Extract<ToThread, { kind: "run" }>) {
  const runtimes = await runtimesFor(m.engines.names, m.engines.cacheDir);
  let pending = 0;
  const flush = () => {
    if (pending) port.postMessage({ kind: "progress", done: pending });
    pending = 0;
  };
  const result = await evaluateCases(
    m.cases,
    {
      names: m.engines.names,
      ...(m.engines.now !== undefined ? { now: m.engines.now } : {}),
      runtimes,
    },
    m.cwd,
    {
      case: () => {
        if (++pending === PROGRESS_EVERY) flush();
      },
    },
  );
  flush();
  return result;
}
