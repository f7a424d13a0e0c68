import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the policyc package (the folder holding package.json), from src/ or dist/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The command that builds the engines, quoted in every "engine missing" error. */
export const SETUP_COMMAND = "npm run setup:engines";

export interface EngineManifest {
  readonly key: string;
  readonly goVersion: string;
  readonly versions: Readonly<Record<string, string>>;
}

export interface Engines {
  readonly dir: string;
  readonly manifest: EngineManifest;
  /** Path of an engine file, or undefined when this build does not have it. */
  file(name: string): string | undefined;
}

export class EngineMissingError extends Error {
  constructor(what: string, detail: string) {
    super(`${what} is not available: ${detail}. Set it up with \`${SETUP_COMMAND}\` in the policyc folder (${PACKAGE_ROOT}).`);
    this.name = "EngineMissingError";
  }
}

let located: Engines | undefined;

/**
 * The Go-built engines: `$POLICYC_ENGINES_DIR`, else `dist/go` of this package (a link to the
 * setup cache in a checkout, a copy in a published package).
 */
export function locateEngines(): Engines {
  const dir = process.env.POLICYC_ENGINES_DIR ? path.resolve(process.env.POLICYC_ENGINES_DIR) : path.join(PACKAGE_ROOT, "dist", "go");
  if (located?.dir === dir) return located;
  const manifestPath = path.join(dir, "manifest.json");
  if (!existsSync(manifestPath)) throw new EngineMissingError("policyc's engines", `no ${manifestPath}`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as EngineManifest;
  located = {
    dir,
    manifest,
    file(name) {
      const p = path.join(dir, name);
      return existsSync(p) ? p : undefined;
    },
  };
  return located;
}
