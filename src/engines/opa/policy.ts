import { createRequire } from "node:module";
import vm from "node:vm";
import { BuiltinError, HOST_BUILTINS, parseRegoValue, regoLiteral } from "./builtins/index.js";
import { importedMemoryPages } from "./wasm-memory.js";

interface LoadedPolicy {
  readonly wasmInstance: WebAssembly.Instance;
  readonly entrypoints: Record<string, number>;
  evaluate(input: unknown, entrypoint?: string | number): { result: unknown }[];
  setData(data: unknown): void;
}
interface OpaWasm {
  loadPolicySync(wasm: WebAssembly.Module, memory?: WebAssembly.MemoryDescriptor, customBuiltins?: Record<string, never>): LoadedPolicy;
}

const opaWasm = createRequire(import.meta.url)("@open-policy-agent/opa-wasm") as OpaWasm;

/** A policy's Wasm module calls builtins nothing implements. */
export class MissingBuiltinError extends Error {
  constructor(readonly builtins: readonly string[]) {
    super(
      `the policy calls ${builtins.length === 1 ? "a builtin" : "builtins"} that neither OPA's Wasm runtime nor policyc provides: ${builtins.join(", ")}`,
    );
    this.name = "MissingBuiltinError";
  }
}

/** Evaluation aborted inside the Wasm runtime (for example conflicting values for a complete rule). */
export class RegoEvalError extends Error {
  override name = "RegoEvalError";
}

/** Evaluation needed more Wasm memory than REGO_LIMITS allows, and was stopped. */
export class RegoMemoryError extends RegoEvalError {
  override name = "RegoMemoryError";
}

/** Evaluation ran longer than its time limit and was stopped. */
export class RegoTimeoutError extends RegoEvalError {
  override name = "RegoTimeoutError";
}

/**
 * Bounds on one policy instance. Wasm memory is capped (OPA's allocator aborts with "out of
 * memory" beyond it), and an evaluation given `timeoutMs` is stopped by V8 when it runs longer
 * (node:vm's watchdog terminates execution, Wasm included); the instance is then rebuilt.
 */
export const REGO_LIMITS = { memoryMiB: 1024 } as const;

/** Runs `f` with V8 terminating it after `ms` (node:vm's watchdog: ~0.2 ms per call). */
let guard: { script: vm.Script; context: { run: () => unknown } } | undefined;
function withTimeout<T>(f: () => T, ms: number): T {
  guard ??= { script: new vm.Script("run()"), context: vm.createContext({ run: () => undefined }) as { run: () => unknown } };
  guard.context.run = f;
  try {
    return guard.script.runInContext(guard.context, { timeout: ms }) as T;
  } finally {
    guard.context.run = () => undefined;
  }
}

interface Exports {
  memory: WebAssembly.Memory;
  opa_malloc(n: number): number;
  opa_free(p: number): void;
  opa_value_dump(v: number): number;
  opa_value_parse(p: number, n: number): number;
  opa_json_dump(v: number): number;
  builtins(): number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function cString(memory: WebAssembly.Memory, addr: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = addr;
  while (bytes[end] !== 0) end++;
  return decoder.decode(bytes.subarray(addr, end));
}

/**
 * Builds the host-builtin imports. OPA's Wasm runtime hands builtins their operands as value
 * addresses; they are read with `opa_value_dump` (Rego syntax, so sets stay sets and numbers keep
 * their text — opa-wasm's own dispatcher reads JSON, where `{"a"}` and `["a"]` look alike) and
 * answered through `opa_value_parse`. A builtin error makes the call undefined, as OPA's
 * interpreter does without strict builtin errors (Gatekeeper's setting).
 */
function hostImports(state: { exports?: Exports; names: Record<number, string> }) {
  const call = (id: number, ...addrs: number[]): number => {
    const ex = state.exports!;
    const name = state.names[id] ?? `#${id}`;
    const impl = HOST_BUILTINS[name];
    if (!impl) throw new MissingBuiltinError([name]);
    const args = addrs.map((a) => parseRegoValue(cString(ex.memory, ex.opa_value_dump(a))));
    let result;
    try {
      result = impl(...args);
    } catch (error) {
      if (error instanceof BuiltinError) return 0;
      throw error;
    }
    const bytes = encoder.encode(regoLiteral(result));
    const p = ex.opa_malloc(bytes.length);
    new Uint8Array(ex.memory.buffer).set(bytes, p);
    const v = ex.opa_value_parse(p, bytes.length);
    ex.opa_free(p);
    return v;
  };
  return {
    opa_builtin0: (id: number, _ctx: number) => call(id),
    opa_builtin1: (id: number, _ctx: number, a: number) => call(id, a),
    opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, a, b),
    opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, a, b, c),
    opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, a, b, c, d),
  };
}

/** A compiled Rego policy loaded with @open-policy-agent/opa-wasm. */
export class RegoPolicy {
  private data: unknown;

  private constructor(
    private loaded: LoadedPolicy,
    readonly hostBuiltins: readonly string[],
    private readonly module: WebAssembly.Module,
    private readonly pages: number,
  ) {}

  /**
   * Instantiates a module through opa-wasm's loadPolicySync, with policyc's builtin dispatcher
   * in place of opa-wasm's JSON one (the instance is created with policyc's imports). Fails with
   * MissingBuiltinError, naming them, when the module needs builtins nobody provides.
   */
  /** A policy from a compiled module's bytes, its memory sized from what the module declares. */
  static fromBytes(bytes: Uint8Array): RegoPolicy {
    return RegoPolicy.load(new WebAssembly.Module(bytes), importedMemoryPages(bytes));
  }

  static load(module: WebAssembly.Module, initialPages = 5): RegoPolicy {
    const state: { exports?: Exports; names: Record<number, string> } = { names: {} };
    const Original = WebAssembly.Instance;
    const Patched = function (this: unknown, m: WebAssembly.Module, imports: WebAssembly.Imports) {
      const env = { ...(imports.env as Record<string, unknown>), ...hostImports(state) };
      const instance = new Original(m, { ...imports, env: env as WebAssembly.ModuleImports });
      state.exports = instance.exports as unknown as Exports;
      return instance;
    } as unknown as typeof WebAssembly.Instance;
    let loaded: LoadedPolicy;
    (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = Patched;
    try {
      // A module whose strings need more than the limit cannot run at all: it ends like any evaluation out of memory.
      if (initialPages > REGO_LIMITS.memoryMiB * 16)
        throw new RegoMemoryError(`the module needs ${initialPages / 16} MiB of Wasm memory (limit ${REGO_LIMITS.memoryMiB} MiB)`);
      loaded = opaWasm.loadPolicySync(module, { initial: Math.max(5, initialPages), maximum: REGO_LIMITS.memoryMiB * 16 });
    } finally {
      (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = Original;
    }
    const ex = state.exports!;
    const ids = JSON.parse(cString(ex.memory, ex.opa_json_dump(ex.builtins()))) as Record<string, number>;
    for (const [name, id] of Object.entries(ids)) state.names[id] = name;
    const needed = Object.keys(ids).sort();
    const missing = needed.filter((n) => !HOST_BUILTINS[n]);
    if (missing.length) throw new MissingBuiltinError(missing);
    return new RegoPolicy(loaded, needed, module, initialPages);
  }

  private reload(): void {
    this.loaded = RegoPolicy.load(this.module, this.pages).loaded;
    if (this.data !== undefined) this.loaded.setData(this.data);
  }

  get entrypoints(): readonly string[] {
    return Object.keys(this.loaded.entrypoints);
  }

  setData(data: unknown): void {
    this.loaded.setData(data);
    this.data = data;
  }

  /**
   * The entrypoint's value, or undefined when it is undefined for this input. With `timeoutMs`,
   * an evaluation running longer is stopped with RegoTimeoutError.
   */
  evaluate(entrypoint: string, input: unknown, options: { timeoutMs?: number } = {}): unknown {
    let rs: { result: unknown }[];
    try {
      rs = options.timeoutMs
        ? withTimeout(() => this.loaded.evaluate(input, entrypoint), options.timeoutMs)
        : this.loaded.evaluate(input, entrypoint);
    } catch (error) {
      if (error instanceof MissingBuiltinError) throw error;
      if (options.timeoutMs && (error as { code?: unknown })?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        // Stopped mid-evaluation: the instance's heap may be inconsistent. Start a fresh one.
        this.reload();
        throw new RegoTimeoutError(`evaluation stopped after ${options.timeoutMs / 1000} s (time limit)`);
      }
      if (/opa_malloc: failed/.test(String((error as { message?: unknown })?.message ?? error))) {
        // Give the grown memory back rather than keep a 1 GiB instance.
        this.reload();
        throw new RegoMemoryError(`evaluation ran out of memory (limit ${REGO_LIMITS.memoryMiB} MiB of Wasm memory)`);
      }
      throw new RegoEvalError(
        typeof error === "string"
          ? error
          : error instanceof Error
            ? error.message
            : String((error as { message?: unknown })?.message ?? error),
      );
    }
    return rs.length ? rs[0]!.result : undefined;
  }
}
