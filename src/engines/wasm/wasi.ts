/**
 * node:wasi for the Go-built engines, loaded once per process.
 *
 * Node 20's WASI host functions are V8 "fast API" callbacks, and V8 lets Wasm call them directly.
 * Some of them allocate through a memory manager that reports external memory to V8, which may
 * start a garbage collection inside the fast call — V8 does not allow that, and the heap is
 * corrupted: the process later dies with SIGSEGV or SIGTRAP in unrelated JavaScript (nodejs/node
 * issues 46777 and 53087; we saw it as test processes dying now and then while the engines ran).
 * Turning fast API calls off before any WASI import is bound makes every WASI call an ordinary
 * API call, where a GC is allowed. It costs nothing measurable here (see bench/).
 */
import v8 from "node:v8";

let loaded: Promise<typeof import("node:wasi").WASI> | undefined;

export function loadWasi(): Promise<typeof import("node:wasi").WASI> {
  loaded ??= (async () => {
    v8.setFlagsFromString("--no-turbo-fast-api-calls");
    // Node prints "WASI is an experimental feature" when node:wasi loads: not the user's concern.
    const emit = process.emitWarning;
    process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
      if (!String(w).includes("WASI is an experimental feature")) (emit as (...a: unknown[]) => void).call(process, w, ...rest);
    }) as typeof process.emitWarning;
    try {
      return (await import("node:wasi")).WASI;
    } finally {
      process.emitWarning = emit;
    }
  })();
  return loaded;
}
