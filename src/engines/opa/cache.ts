import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CompileUnit, RegoCompiler, UnitResult } from "./compiler.js";

export interface CompileStats {
  /** Distinct units compiled by this call (cache misses); all of them in one compiler run. */
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
  const cached = results.filter(Boolean).length;
  // Identical units (same hash) are compiled once and share the result.
  const firstOf = new Map<string, number>();
  for (const [i, h] of hashes.entries()) if (!results[i] && !firstOf.has(h)) firstOf.set(h, i);
  const misses = [...firstOf.values()];
  const compiled = await compiler.compile(misses.map((i) => units[i]!));
  if (cacheDir && compiled.some((r) => r.ok)) await mkdir(cacheDir, { recursive: true });
  await Promise.all(
    misses.map(async (unitIndex, k) => {
      const r = compiled[k]!;
      results[unitIndex] = r;
      if (r.ok && cacheDir) {
        // Another process may write the same entry at the same time: unique temp, atomic rename.
        const file = path.join(cacheDir, `${hashes[unitIndex]}.wasm`);
        const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
        await writeFile(temp, r.wasm);
        await rename(temp, file);
      }
    }),
  );
  for (const [i, h] of hashes.entries()) results[i] ??= results[firstOf.get(h)!];
  return { results: results as UnitResult[], stats: { compiled: misses.length, cached } };
}
