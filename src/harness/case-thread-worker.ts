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
  if (m.kind === "mutationCases")
    return answer(
      "mutationCasesDone",
      celOnly(m.job.cacheDir).then((runtimes) => runMutationCases(m.job.mutations, m.job.names, runtimes, m.job.cwd)),
    );
  if (m.kind === "mutate")
    return answer(
      "mutated",
      celOnly(m.job.cacheDir).then((runtimes) => mutateJob(m.job, runtimes)),
    );
  if (m.kind === "apply")
    return answer(
      "applied",
      runtimesFor(m.share.names, m.share.cacheDir).then((runtimes) => evaluateApplyShare(m.share, runtimes)),
    );
  answer("done", run(m));
});

/** Posts the job's result to the main thread as a message of `kind`, or why it failed. */
function answer(kind: string, job: Promise<unknown>): void {
  void job.then(
    (result) => port.postMessage({ kind, result }),
    (e: unknown) => port.postMessage({ kind: "failed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}

/** The CEL engine alone: mutations need no other (Gatekeeper's mutators are evaluated in TypeScript). */
async function celOnly(cacheDir: string | undefined): Promise<Runtimes> {
  return { cacheDir, cel: await (runtime ?? Promise.reject(new Error("the main thread sent no CEL engine"))) };
}

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
