/**
 * A second thread for large runs: the policies are split in two and each thread prepares the
 * engines for its half and evaluates its cases, so both cores work (the CEL engine, the busiest,
 * runs as single-threaded WebAssembly). The thread starts while the policies load; its CEL runtime
 * is instantiated from the main thread's compiled module (V8 shares the code), so it costs its
 * own Go heap, not a second compilation. Each half's CEL is compiled in that half's runtime only,
 * and a policy's Kyverno and Kubernetes CEL stay in one runtime, so the compile sharing between
 * the two targets still holds.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { EngineName } from "../engines/index.js";
import type { ApplyShare, ApplyShareResult } from "./apply.js";
import type { MutatedParts, MutationJob } from "./apply-mutations.js";
import type { CompiledMutation } from "../build/index.js";
import type { MutationCaseOutcome } from "./mutation-cases.js";
import type { CaseEvaluation } from "./evaluate-cases.js";
import type { PolicycCase } from "./policyc-cases.js";

/** What the main thread sends the second thread. */
export type ToThread =
  | { readonly kind: "cel"; readonly module: WebAssembly.Module }
  | {
      readonly kind: "run";
      /** Cloned as one graph: the cases of a policy still share one policy object there. */
      readonly cases: readonly PolicycCase[];
      readonly engines: ThreadEngines;
      readonly cwd: string;
    }
  /** `apply`: evaluate every resource against some of the policies (see apply.ts, ApplyShare). */
  | { readonly kind: "apply"; readonly share: ApplyShare }
  /** `apply`: mutate the resources while the main thread compiles the validations (apply-mutations.ts). */
  | { readonly kind: "mutate"; readonly job: MutationJob }
  /** `test`: policyc's mutation cases, while the main thread runs the policies' cases (run.ts). */
  | { readonly kind: "mutationCases"; readonly job: MutationCasesJob };

/** policyc's mutation cases for the second thread: the mutations, the engines, where the run is. */
export interface MutationCasesJob {
  readonly mutations: readonly CompiledMutation[];
  readonly names: readonly EngineName[];
  readonly cacheDir: string | undefined;
  readonly cwd: string;
}

/** The engines the second thread composes for its cases: their names and what they are composed with besides the runtimes, which it starts itself. */
export interface ThreadEngines {
  readonly names: readonly EngineName[];
  readonly cacheDir: string | undefined;
  readonly now?: number;
}

type FromThread =
  | { readonly kind: "progress"; readonly done: number }
  | { readonly kind: "done"; readonly result: CaseEvaluation }
  | { readonly kind: "applied"; readonly result: ApplyShareResult }
  | { readonly kind: "mutated"; readonly result: MutatedParts }
  | { readonly kind: "mutationCasesDone"; readonly result: MutationCaseOutcome }
  | { readonly kind: "failed"; readonly message: string };

/**
 * A run uses a second thread from this many policy files, and never with fewer cases: below that,
 * starting the thread and its CEL runtime costs about what it saves (measured, all engines, warm,
 * docs/internals.md: 50 policies 6.2 s on two threads against 5.5 s on one; 200 policies 9.9 s
 * against 10.5 s; 500 policies 16.2 s against 19.5 s). `POLICYC_THREADS=1` keeps any run on one
 * thread, `POLICYC_THREADS=2` splits any run of enough cases (the benchmark and the tests use both).
 */
export const SPLIT_FROM = { policyFiles: 200, cases: 100 };

export function wantsSecondThread(policyFiles: number): boolean {
  const forced = process.env["POLICYC_THREADS"];
  if (forced === "1" || os.availableParallelism() < 2) return false;
  return forced === "2" || policyFiles >= SPLIT_FROM.policyFiles;
}

/**
 * Splits the cases (grouped by policy, as collectCases gives them) into two runs of whole
 * policies with about as many cases each; undefined when the cases are too few to split.
 */
export function splitCases(cases: readonly PolicycCase[]): [PolicycCase[], PolicycCase[]] | undefined {
  if (cases.length < SPLIT_FROM.cases) return undefined;
  let at = Math.floor(cases.length / 2);
  // Move the cut to a policy boundary.
  while (at < cases.length && cases[at]!.policy === cases[at - 1]!.policy) at++;
  if (at >= cases.length) return undefined;
  return [cases.slice(0, at), cases.slice(at)];
}

export class CaseThread {
  private constructor(private readonly worker: Worker) {}

  /** Starts the thread; it does not keep the process alive. */
  static start(): CaseThread {
    const worker = new Worker(new URL("./case-thread-entry.js", import.meta.url));
    worker.unref();
    // Failures reach the run that waits for the thread; one with none waiting is not an error.
    worker.on("error", () => {});
    return new CaseThread(worker);
  }

  /** Hands the thread the CEL engine's compiled module, which it instantiates at once. */
  adoptCel(module: WebAssembly.Module): void {
    this.worker.postMessage({ kind: "cel", module } satisfies ToThread);
  }

  /** Evaluates the cases (all the cases of some policies) on the thread; `onCase` is told as cases finish there. */
  run(cases: readonly PolicycCase[], engines: ThreadEngines, cwd: string, onCase: (n: number) => void): Promise<CaseEvaluation> {
    return this.ask({ kind: "run", cases, engines, cwd }, onCase) as Promise<CaseEvaluation>;
  }

  /** Evaluates `apply`'s resources against the share's policies on the thread. */
  apply(share: ApplyShare): Promise<ApplyShareResult> {
    return this.ask({ kind: "apply", share }, () => {}) as Promise<ApplyShareResult>;
  }

  /** Mutates `apply`'s resources on the thread (MutationJob). */
  mutate(job: MutationJob): Promise<MutatedParts> {
    return this.ask({ kind: "mutate", job }, () => {}) as Promise<MutatedParts>;
  }

  /** Runs policyc's mutation cases on the thread (MutationCasesJob). */
  mutationCases(job: MutationCasesJob): Promise<MutationCaseOutcome> {
    return this.ask({ kind: "mutationCases", job }, () => {}) as Promise<MutationCaseOutcome>;
  }

  private ask(
    message: ToThread,
    onCase: (n: number) => void,
  ): Promise<CaseEvaluation | ApplyShareResult | MutatedParts | MutationCaseOutcome> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromThread) => {
        if (m.kind === "progress") return onCase(m.done);
        this.worker.off("message", onMessage);
        this.worker.off("error", onError);
        this.worker.off("exit", onExit);
        if (m.kind === "done" || m.kind === "applied" || m.kind === "mutated" || m.kind === "mutationCasesDone") resolve(m.result);
        else reject(new Error(`the second case thread failed: ${m.message}`));
      };
      const onError = (e: Error) => reject(e);
      const onExit = (code: number) => reject(new Error(`the second case thread exited (code ${code}) before it finished`));
      this.worker.on("message", onMessage);
      this.worker.on("error", onError);
      this.worker.on("exit", onExit);
      this.worker.postMessage(message);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
