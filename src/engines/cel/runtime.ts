/**
 * The CEL engine: cel-go with Kubernetes' CEL environment and the API server's admission policy
 * code (Debian's Go sources, policyc's glue in go/cel), built as a WASI reactor and called
 * in-process. Loaded once per process; JSON requests go through the module's linear memory.
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { EngineMissingError, locateEngines } from "../wasm/index.js";
import { loadWasi } from "../wasm/index.js";
import { clusterObjects, groupVersionOf, resourceOf, type AdmissionRequest, type ClusterState, type KubeObject } from "../../kube/index.js";
import type { CelAdmission, CelRequest, CelResponse, EvaluateExtras, EvaluateOp } from "./protocol.js";

interface Exports {
  memory: WebAssembly.Memory;
  policyc_buffer(n: number): number;
  policyc_call(n: number): bigint;
}

// Versioned by the protocol: two copies of policyc in one process (a project and a tool it uses) must not share a runtime of another protocol.
const RUNTIME = Symbol.for("policyc.cel-runtime@3");
/** How many clusters the Go side holds at once. */
const MAX_CLUSTERS = 16;

/**
 * How V8 compiles the CEL engine. `baseline` (Liftoff only) for short runs: the optimising compiler
 * would compete with the Go runtime's initialisation for the cores, and a run of a few cases never
 * repays it (docs/internals.md). `optimising` (V8's default dynamic tiering) for long runs: the
 * optimised code compiles and evaluates about a third faster once hot. V8 reads the flag when it
 * creates a module, so it is set around this module's compilation alone, which is synchronous so
 * that no other module (OPA's compiler, opa-wasm's Rego) can be created while the flag is on.
 */
export type CelTier = "baseline" | "optimising";

function compileModule(bytes: Uint8Array, tier: CelTier): WebAssembly.Module {
  // Validation of a function waits for its first call: the Go compiler's output is valid, and most
  // of the module's functions (all of Kubernetes' API types) are never called.
  const flags = tier === "optimising" ? ["--wasm-lazy-validation"] : ["--wasm-lazy-validation", "--liftoff-only"];
  for (const f of flags) setFlagsFromString(f);
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    for (const f of flags) setFlagsFromString(f.replace(/^--/, "--no-"));
  }
}

function readEngine(): Uint8Array {
  const engines = locateEngines();
  const file = engines.file("policyc-cel.wasm");
  if (!file) throw new EngineMissingError("the CEL engine", `${engines.dir} has no policyc-cel.wasm`);
  return readFileSync(file);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CelRuntime {
  /** The Go side's request buffer: its address and size (grown on demand). */
  private buffer = { address: 0, size: 0 };

  private constructor(
    private readonly exports: Exports,
    /**
     * The compiled module, which another thread can be sent (postMessage) to start its own runtime
     * without compiling it again: V8 shares the compiled code between threads.
     */
    readonly module: WebAssembly.Module,
  ) {}

  /**
   * The thread's CEL runtime, compiled and instantiated on first use. Kept on `globalThis`, so a
   * test runner that re-evaluates modules per test file (vitest) still starts it once per worker.
   * `module`: another thread's compiled module (its `module`), instantiated here rather than compiled.
   */
  static get(options: { readonly tier?: CelTier; readonly module?: WebAssembly.Module } = {}): Promise<CelRuntime> {
    const holder = globalThis as { [RUNTIME]?: Promise<CelRuntime> };
    // The first caller of the thread chooses the tier (a run knows its size before it starts the engine).
    holder[RUNTIME] ??= CelRuntime.load(options.module ?? options.tier ?? "baseline").catch((e) => {
      holder[RUNTIME] = undefined;
      throw e;
    });
    return holder[RUNTIME];
  }

  private static async load(from: CelTier | WebAssembly.Module): Promise<CelRuntime> {
    const WASI = await loadWasi();
    // klog's init needs a program name in args.
    const wasi = new WASI({ version: "preview1", args: ["policyc-cel"], env: {}, returnOnExit: true });
    const module = from instanceof WebAssembly.Module ? from : compileModule(readEngine(), from);
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance as unknown as object);
    return new CelRuntime(instance.exports as unknown as Exports, module);
  }

  /** Clusters registered on the Go side, by content (most recently used last), and by identity. */
  private readonly clusters = new Map<string, string>();
  private readonly clusterIds = new WeakMap<ClusterState, { key: string; id: string; reads: number }>();
  private clusterCount = 0;

  /**
   * What the compiled policies can read of a cluster besides its Namespaces: every object (`all`:
   * a lookup whose arguments are not literals), else the resources (`apiVersion\0plural`) their
   * params and lookups name. A cluster is registered with those objects only: the Go side decodes
   * and holds every object it is given, and 20,000 objects nobody reads made its collector, in
   * WebAssembly, scan a heap near the 4 GiB limit (kubernetes engine, 20,000 objects: over 420 s,
   * 94.7 s with them left out).
   */
  private readonly reads = { all: false, resources: new Set<string>(), version: 0 };

  /** Records what a policy compiled on this runtime can read of a cluster (CompiledVap.compile). */
  readsFrom(what: { readonly all: boolean; readonly resources: readonly string[] }): void {
    const grows = (what.all && !this.reads.all) || what.resources.some((r) => !this.reads.resources.has(r));
    if (!grows) return;
    this.reads.all ||= what.all;
    for (const r of what.resources) this.reads.resources.add(r);
    this.reads.version++;
  }

  /** The objects of a cluster the compiled policies can read (Namespaces always: matching and namespaceObject). */
  private readable(cluster: ClusterState): KubeObject[] {
    const objects = clusterObjects(cluster);
    if (this.reads.all) return objects;
    return objects.filter((o) => {
      if (o.kind === "Namespace" && o.apiVersion === "v1") return true;
      const { group } = groupVersionOf(o.apiVersion);
      return this.reads.resources.has(`${o.apiVersion}\0${resourceOf(String(o.kind ?? ""), group)}`);
    });
  }

  /**
   * The id under which the Go side holds a cluster's objects (its Namespaces as stored, and every
   * other object), registered on first use: a run over thousands of resources in one cluster sends
   * and decodes the objects once, not with every request. Undefined for an empty cluster.
   */
  clusterId(cluster: ClusterState | undefined): string | undefined {
    if (!cluster || (!cluster.objects?.length && Object.keys(cluster.namespaces ?? {}).length === 0)) return undefined;
    const reads = this.reads.version;
    const known = this.clusterIds.get(cluster);
    if (known && known.reads === reads && this.clusters.get(known.key) === known.id) return this.touch(known.key, known.id);
    const key = JSON.stringify([reads, cluster.namespaces ?? {}, cluster.objects ?? []]);
    const held = this.clusters.get(key);
    if (held) {
      this.clusterIds.set(cluster, { key, id: held, reads });
      return this.touch(key, held);
    }
    const id = `c${++this.clusterCount}`;
    const r = this.call({ op: "cluster", id, objects: this.readable(cluster) });
    if (!r.ok) throw new Error(`the CEL engine refused the cluster's objects: ${r.error?.message ?? "unknown error"}`);
    this.clusters.set(key, id);
    this.clusterIds.set(cluster, { key, id, reads });
    // A few clusters are held at once (a run's cases each name one, mostly alike); the oldest goes.
    if (this.clusters.size > MAX_CLUSTERS) {
      const [oldKey, oldId] = this.clusters.entries().next().value!;
      this.clusters.delete(oldKey);
      this.call({ op: "forget-cluster", id: oldId });
    }
    return id;
  }

  private touch(key: string, id: string): string {
    this.clusters.delete(key);
    this.clusters.set(key, id);
    return id;
  }

  /** Admission requests sent, by identity: their key on the Go side and the cluster they were sent with. */
  private readonly admissions = new WeakMap<AdmissionRequest, { key: string; cluster: string | undefined }>();
  private admissionCount = 0;
  /** The key of the admission the Go side holds decoded. */
  private heldAdmission: string | undefined;

  /**
   * Evaluates the compiled policy `id` on an admission request. Every policy evaluated on one
   * request in a row shares one decoding: the first call sends the request under a key, which the
   * Go side holds; the next ones name the key. A request is plain data, never changed once made:
   * it is known by its identity. `input` builds what is sent, given the request's cluster id.
   */
  evaluate(
    id: string,
    req: AdmissionRequest,
    input: (cluster: string | undefined) => CelAdmission,
    /**
     * `mutate`: a compiled mutating policy's id (CompiledMutation); `authorize`: a compiled HTTP or
     * Envoy policy's (CompiledAuthz); on the same held admission.
     */
    op: EvaluateOp = "evaluate",
    extras: EvaluateExtras = {},
  ): CelResponse {
    const cluster = this.clusterId(req.cluster);
    let known = this.admissions.get(req);
    if (known && known.cluster === cluster && known.key === this.heldAdmission) {
      const r = this.call({ op, id, admissionKey: known.key, ...extras });
      if (r.error?.code !== "unknown_admission") return r;
    }
    known = { key: `a${++this.admissionCount}`, cluster };
    this.admissions.set(req, known);
    this.heldAdmission = known.key;
    return this.call({ op, id, admission: input(cluster), admissionKey: known.key, ...extras });
  }

  /** One request to the Go side (a single call into the Go runtime); answers are plain JSON. */
  call(request: CelRequest): CelResponse {
    const ex = this.exports;
    const bytes = encoder.encode(JSON.stringify(request));
    if (bytes.length > this.buffer.size) {
      // Wasm i32 results arrive signed: addresses above 2 GiB must be read as unsigned.
      this.buffer = { address: ex.policyc_buffer(bytes.length) >>> 0, size: bytes.length };
    }
    new Uint8Array(ex.memory.buffer, this.buffer.address, bytes.length).set(bytes);
    const packed = ex.policyc_call(bytes.length);
    const q = Number((packed >> 32n) & 0xffffffffn);
    const n = Number(packed & 0xffffffffn);
    // The answer stays valid until the next call; decode copies it out.
    return JSON.parse(decoder.decode(new Uint8Array(ex.memory.buffer, q, n))) as CelResponse;
  }
}
