import { execFile } from "node:child_process";
import { mkdtemp, open, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { parseTar } from "nanotar";
import { EngineMissingError, locateEngines } from "../wasm/index.js";
import { loadWasi } from "../wasm/index.js";
import { withMemoryMaximum } from "./wasm-memory.js";

/** The built-in compiler's memory limit, in 64 KiB Wasm pages (2 GiB). */
const COMPILER_MAX_PAGES = 32768;

/** One Rego module. `path` names it in compile errors. */
export interface RegoModule {
  readonly path: string;
  readonly source: string;
}

/** A set of modules compiled together into one Wasm module (one template with its libs, or one policy). */
export interface CompileUnit {
  readonly modules: readonly RegoModule[];
  /** `package/path/rule`, as `opa build -e` takes them. */
  readonly entrypoints: readonly string[];
  readonly regoVersion: 0 | 1;
  /** Check in strict mode first (`opa check --strict`), as policyc does for the Rego it generates. */
  readonly strict: boolean;
}

export interface CompileProblem {
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  readonly row?: number;
  readonly col?: number;
}

export type UnitResult =
  { readonly ok: true; readonly wasm: Uint8Array } | { readonly ok: false; readonly problems: readonly CompileProblem[] };

export interface RegoCompiler {
  /** What compiles, for logs: "built-in OPA 1.4.2 (WASI)" or the opa command's path. */
  readonly description: string;
  /** Identifies the compiler's output, part of the cache key. */
  readonly identity: string;
  compile(units: readonly CompileUnit[]): Promise<UnitResult[]>;
}

const execFileP = promisify(execFile);

/**
 * policyc's built-in compiler: OPA's own compile package (Debian's Go sources) built as a WASI
 * command, run in this process through node:wasi. One run compiles every unit given.
 */
export class WasiRegoCompiler implements RegoCompiler {
  readonly description: string;
  readonly identity: string;
  private module: Promise<WebAssembly.Module> | undefined;

  constructor(
    private readonly wasmPath: string,
    opaVersion: string,
    engineKey: string,
  ) {
    this.description = `built-in OPA ${opaVersion} compiler (WASI)`;
    this.identity = `wasi:${opaVersion}:${engineKey}`;
  }

  async compile(units: readonly CompileUnit[]): Promise<UnitResult[]> {
    if (units.length === 0) return [];
    const run = await this.run(units);
    if (run.ok) return run.results;
    // The compiler crashed (out of memory on a huge module, say): find the unit that crashes it by
    // halving, so that unit alone ends with a located error and the others compile.
    if (units.length === 1) {
      return [{ ok: false, problems: [{ code: "rego_compile_error", message: `OPA's compiler failed on this module: ${run.reason}` }] }];
    }
    const half = Math.ceil(units.length / 2);
    return [...(await this.compile(units.slice(0, half))), ...(await this.compile(units.slice(half)))];
  }

  /** One compiler run; its Go runtime's output is kept, not printed, and summed up when it fails. */
  private async run(units: readonly CompileUnit[]): Promise<{ ok: true; results: UnitResult[] } | { ok: false; reason: string }> {
    // At most 2 GiB: a module too large to compile fails with "out of memory" there, not at 4 GiB.
    this.module ??= readFile(this.wasmPath).then((bytes) => WebAssembly.compile(withMemoryMaximum(bytes, COMPILER_MAX_PAGES)));
    const work = await mkdtemp(path.join(os.tmpdir(), "policyc-opa-"));
    const stderr = await open(path.join(work, "stderr.txt"), "w+");
    try {
      await writeFile(path.join(work, "request.json"), JSON.stringify({ units }));
      await mkdir(path.join(work, "out"));
      const WASI = await loadWasi();
      const wasi = new WASI({
        version: "preview1",
        args: ["policyc-opa", "compile", "/work/request.json", "/work/out"],
        env: {},
        preopens: { "/work": work },
        returnOnExit: true,
        stderr: stderr.fd,
      });
      const instance = await WebAssembly.instantiate(await this.module, wasi.getImportObject() as WebAssembly.Imports);
      let code: number;
      try {
        code = wasi.start(instance);
      } catch (e) {
        return { ok: false, reason: (e as Error).message };
      }
      if (code !== 0) {
        const text = await readFile(path.join(work, "stderr.txt"), "utf8");
        const first = text.split("\n").find((l) => /fatal error|panic|out of memory/.test(l)) ?? text.split("\n")[0] ?? "";
        return { ok: false, reason: `exit code ${code}${first ? ` (${first.trim()})` : ""}` };
      }
      return { ok: true, results: await readResults(path.join(work, "out")) };
    } finally {
      await stderr.close();
      await rm(work, { recursive: true, force: true });
    }
  }
}

async function readResults(out: string): Promise<UnitResult[]> {
  const result = JSON.parse(await readFile(path.join(out, "result.json"), "utf8")) as {
    units: { ok: boolean; wasm?: string; problems?: CompileProblem[] }[];
  };
  return Promise.all(
    result.units.map(async (u): Promise<UnitResult> =>
      u.ok ? { ok: true, wasm: new Uint8Array(await readFile(path.join(out, u.wasm!))) } : { ok: false, problems: u.problems ?? [] },
    ),
  );
}

/**
 * An `opa` command (the official CLI): `opa build -t wasm`, one process per unit. Strict units are
 * checked with `opa check --strict` first. Compile errors come from `--format json`.
 */
export class OpaCliCompiler implements RegoCompiler {
  readonly description: string;
  readonly identity: string;

  constructor(
    private readonly command: string,
    version: string,
  ) {
    this.description = `${command} (OPA ${version})`;
    this.identity = `cli:${version}`;
  }

  async compile(units: readonly CompileUnit[]): Promise<UnitResult[]> {
    const out: UnitResult[] = [];
    for (const unit of units) out.push(await this.compileOne(unit));
    return out;
  }

  private async compileOne(unit: CompileUnit): Promise<UnitResult> {
    const work = await mkdtemp(path.join(os.tmpdir(), "policyc-opa-"));
    try {
      const files: string[] = [];
      for (const [i, m] of unit.modules.entries()) {
        const file = path.join(work, `${i}`, m.path.replace(/^\/+/, "").replace(/\.\.(\/|$)/g, "_"));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, m.source);
        files.push(file);
      }
      const version = unit.regoVersion === 0 ? ["--v0-compatible"] : [];
      try {
        if (unit.strict) await execFileP(this.command, ["check", "--strict", "--format", "json", ...version, ...files]);
        const bundle = path.join(work, "bundle.tar.gz");
        await execFileP(this.command, [
          "build",
          "-t",
          "wasm",
          "--format",
          "json",
          ...version,
          ...unit.entrypoints.flatMap((e) => ["-e", e]),
          "-o",
          bundle,
          ...files,
        ]);
        return { ok: true, wasm: extractPolicyWasm(readFileSync(bundle)) };
      } catch (error) {
        const stdout = String((error as { stdout?: unknown }).stdout ?? "") + String((error as { stderr?: unknown }).stderr ?? "");
        return { ok: false, problems: parseCliErrors(stdout, work, unit) };
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

function parseCliErrors(text: string, work: string, unit: CompileUnit): CompileProblem[] {
  try {
    const parsed = JSON.parse(text.slice(text.indexOf("{"))) as {
      errors?: { code: string; message: string; location?: { file: string; row: number; col: number } }[];
    };
    const nameOf = (file: string) => {
      const rel = path.relative(work, file).split(path.sep);
      return unit.modules[Number(rel[0])]?.path ?? file;
    };
    return (parsed.errors ?? []).map((e) => ({
      code: e.code,
      message: e.message,
      ...(e.location ? { file: nameOf(e.location.file), row: e.location.row, col: e.location.col } : {}),
    }));
  } catch {
    return [{ code: "compile_error", message: text.trim() }];
  }
}

/** `/policy.wasm` out of an OPA bundle (a gzipped tar archive). */
export function extractPolicyWasm(bundle: Uint8Array): Uint8Array {
  const entry = parseTar(gunzipSync(bundle)).find((f) => f.name.replace(/^\/+/, "") === "policy.wasm");
  if (!entry?.data) throw new Error("the OPA bundle holds no /policy.wasm");
  return entry.data;
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The Rego compiler: `$POLICYC_OPA`, else an `opa` on PATH, else policyc's built-in WASI compiler.
 */
export async function discoverRegoCompiler(): Promise<RegoCompiler> {
  const explicit = process.env.POLICYC_OPA;
  const command = explicit || onPath("opa");
  if (command) {
    const { stdout } = await execFileP(command, ["version"]).catch((error: unknown) => {
      throw new EngineMissingError(`the OPA command ${command}`, `\`${command} version\` failed: ${(error as Error).message}`);
    });
    const version = /Version:\s*(\S+)/.exec(stdout)?.[1] ?? "unknown";
    return new OpaCliCompiler(command, version);
  }
  const engines = locateEngines();
  const wasm = engines.file("policyc-opa.wasm");
  if (!wasm) throw new EngineMissingError("the built-in OPA compiler", `${engines.dir} has no policyc-opa.wasm`);
  const opaVersion = engines.manifest.versions["golang-github-open-policy-agent-opa-dev"]?.replace(/\+.*$/, "") ?? "unknown";
  return new WasiRegoCompiler(wasm, opaVersion, engines.manifest.key);
}
