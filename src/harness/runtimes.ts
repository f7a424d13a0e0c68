/**
 * Starting the runtimes engines run on: the CEL runtime (the Go-built module) and OPA's compiler.
 * Both start as early as a command knows it needs them (while the loader thread imports the
 * policies), and both are kept per thread on `globalThis`, so a test runner that re-evaluates
 * modules per test file (vitest) starts them once per worker.
 */
import os from "node:os";
import path from "node:path";
import { CelRuntime, discoverRegoCompiler, EngineMissingError, type CelTier, type RegoCompiler } from "../engines/index.js";
import type { Issue } from "../ir/index.js";

const COMPILER = Symbol.for("policyc.rego-compiler");

/** The Rego compiler, discovered once per thread. */
export function regoCompiler(): Promise<RegoCompiler> {
  const holder = globalThis as { [COMPILER]?: Promise<RegoCompiler> };
  holder[COMPILER] ??= discoverRegoCompiler();
  return holder[COMPILER].catch((e) => {
    holder[COMPILER] = undefined;
    throw e;
  });
}

/** Runtimes being started; a failure surfaces where one is awaited. */
export interface RuntimeStart {
  readonly cel?: Promise<CelRuntime>;
  readonly rego?: Promise<RegoCompiler>;
}

/** Starts the runtimes asked for. `tier`: how V8 compiles the CEL module (see CelTier). */
export function startRuntimes(need: { readonly cel?: boolean; readonly rego?: boolean; readonly tier?: CelTier }): RuntimeStart {
  const start: RuntimeStart = {
    ...(need.cel ? { cel: CelRuntime.get(need.tier ? { tier: need.tier } : {}) } : {}),
    ...(need.rego ? { rego: regoCompiler() } : {}),
  };
  start.cel?.catch(() => {});
  start.rego?.catch(() => {});
  return start;
}

/** A runtime, or the issue of its missing engine build; other failures are thrown (policyc's bugs). */
export async function awaitRuntime<T>(p: Promise<T> | undefined): Promise<{ value?: T; missing?: Issue }> {
  if (!p) return {};
  try {
    return { value: await p };
  } catch (e) {
    if (e instanceof EngineMissingError) return { missing: { code: "engine_missing", message: e.message, severity: "error", path: [] } };
    throw e;
  }
}

/** Where compiled Rego is cached by default: the user cache directory (POLICYC_CACHE_DIR, XDG_CACHE_HOME). */
export function defaultWasmCache(): string {
  const base = process.env.POLICYC_CACHE_DIR
    ? path.resolve(process.env.POLICYC_CACHE_DIR)
    : path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "policyc");
  return path.join(base, "rego-wasm");
}
