import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CompileUnit, RegoCompiler, UnitResult } from "./compiler.js";

export interface CompileStats {
  /** Units compiled by this call (cache misses); all of them in one compiler run. */
  readonly compiled: number;
  /** Units whose Wasm came from the cache. */
  readonly cached: number;
}

/** Content hash of a unit for a compiler: equal hashes mean an identical Wasm module. */
export function unitHash(compiler: RegoCompiler, unit: CompileUnit): string {
  return createHash("sha256").update(compiler.identity).update("\0").update(JSON.stringify(unit)).digest("hex");
}

/**
 * Compiles units through a content-hash cache: units already compiled (same Rego, same
 * compiler) are read from `cacheDir`; the rest go to the compiler in one invocation.
 */
export async function compileWithCache(
  compiler: RegoCompiler,
  units: readonly CompileUnit[],
  cacheDir: string | undefined,
): Promise<{ results: UnitResult[]; stats: CompileStats }> {
  const results: (UnitResult | undefined)[] = new Array(units.length);
  const hashes = units.map((u) => unitHash(compiler, u));
  if (cacheDir) {
    await Promise.all(
      hashes.map(async (h, i) => {
        try {
          results[i] = { ok: true, wasm: new Uint8Array(await readFile(path.join(cacheDir, `${h}.wasm`))) };
        } catch {
          /* a miss */
        }
      }),
    );
  }
  const misses = units.flatMap((u, i) => (results[i] ? [] : [i]));
  const compiled = await compiler.compile(misses.map((i) => units[i]!));
  if (cacheDir && compiled.some((r) => r.ok)) await mkdir(cacheDir, { recursive: true });
  await Promise.all(
    misses.map(async (unitIndex, k) => {
      const r = compiled[k]!;
      results[unitIndex] = r;
      if (r.ok && cacheDir) {
        const file = path.join(cacheDir, `${hashes[unitIndex]}.wasm`);
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, r.wasm);
        await rename(temp, file);
      }
    }),
  );
  return { results: results as UnitResult[], stats: { compiled: misses.length, cached: units.length - misses.length } };
}
