import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { PACKAGE_ROOT } from "../../engines/index.js";
import { EXIT, type Io } from "../output.js";
import { policycVersion } from "../reporting.js";
import { DEV_DEPENDENCIES, scaffold, SCRIPTS } from "../scaffold.js";

/** A reason `init` writes nothing, naming the path. */
class InitRefused extends Error {}

const lstat = (p: string) => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Where a file of the scaffold goes, checked: inside the folder, never through a symbolic link (a
 * link, dangling or not, could point anywhere), never a folder.
 */
function targetOf(root: string, realRoot: string, file: string): string {
  const target = path.join(root, file);
  let existing = path.dirname(target);
  while (!existsSync(existing)) existing = path.dirname(existing);
  const real = realpathSync(existing);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new InitRefused(`${file}: its folder leads outside ${root}`);
  const st = lstat(target);
  if (st?.isSymbolicLink()) throw new InitRefused(`${file} is a symbolic link; init writes only regular files inside the folder`);
  if (st?.isDirectory()) throw new InitRefused(`${file} is a folder`);
  return target;
}

/** The versions policyc itself is tested with, for the dev dependencies a project needs. */
function testedVersions(): Record<string, string> {
  const own = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  return Object.fromEntries(DEV_DEPENDENCIES.map((d) => [d, own.devDependencies?.[d] ?? "*"]));
}

/**
 * package.json with what the project needs: policyc and the dev dependencies its scaffold uses
 * (vitest, typescript, @types/node), and the scripts; what the project already declares is kept,
 * its "type" included (the scaffold works in CommonJS and ES module projects alike).
 */
function mergedPackageJson(existing: string | undefined, name: string): string {
  let pkg: Record<string, unknown> = { name, private: true, type: "module" };
  if (existing !== undefined) {
    try {
      pkg = JSON.parse(existing) as Record<string, unknown>;
    } catch (e) {
      throw new InitRefused(`package.json is not JSON (${(e as Error).message})`);
    }
    if (!pkg || typeof pkg !== "object" || Array.isArray(pkg)) throw new InitRefused("package.json is not a JSON object");
  }
  const declared = { ...(pkg.dependencies as object), ...(pkg.devDependencies as object) } as Record<string, string>;
  const wanted = { policyc: `^${policycVersion()}`, ...testedVersions() };
  const dev = { ...(pkg.devDependencies as Record<string, string> | undefined) };
  for (const [dep, version] of Object.entries(wanted)) if (declared[dep] === undefined) dev[dep] = version;
  const scripts = { ...SCRIPTS, ...(pkg.scripts as Record<string, string> | undefined) };
  return `${JSON.stringify({ ...pkg, scripts, devDependencies: dev }, null, 2)}\n`;
}

/** Writes the scaffold into `root`; the files written. Refuses (writing nothing) a clash, a link, a path outside. */
function writeScaffold(root: string): string[] {
  const st = lstat(root);
  if (st && !st.isDirectory()) throw new InitRefused(`${root} is a file, not a folder`);
  mkdirSync(root, { recursive: true });
  const realRoot = realpathSync(root);
  const files = scaffold();
  const keep = new Set(["tsconfig.json"]);
  const targets = Object.keys(files).map((f) => [f, targetOf(root, realRoot, f)] as const);
  const pkgTarget = targetOf(root, realRoot, "package.json");
  const clashes = targets.filter(([f, t]) => !keep.has(f) && existsSync(t)).map(([f]) => f);
  if (clashes.length) throw new InitRefused(`these files exist already; nothing was written:\n${clashes.map((f) => `  ${f}`).join("\n")}`);
  const pkg = mergedPackageJson(existsSync(pkgTarget) ? readFileSync(pkgTarget, "utf8") : undefined, path.basename(realRoot));
  const written: string[] = [];
  for (const [file, target] of targets) {
    if (existsSync(target)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    // wx: a path that appeared since (a link included) is never written through.
    writeFileSync(target, files[file]!, { flag: "wx" });
    written.push(file);
  }
  const tmp = `${pkgTarget}.policyc-${process.pid}`;
  writeFileSync(tmp, pkg, { flag: "wx" });
  renameSync(tmp, pkgTarget);
  written.push("package.json");
  return written;
}

/** `policyc init [dir]`: scaffolds a project; never overwrites a file (package.json is merged, tsconfig.json left as it is). */
export function initCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("init")
    .description("scaffold a project: configuration, a policy with fixtures and cases, a vitest test, manifests, a CI workflow")
    .argument("[dir]", "where (default: the current folder)", ".")
    .action((dir: string) => {
      const root = path.resolve(io.cwd, dir);
      let written: string[];
      try {
        written = writeScaffold(root);
      } catch (e) {
        if (!(e instanceof InitRefused)) throw e;
        io.err(`policyc init: ${dir}: ${e.message}\n`);
        return setExit(EXIT.invalid);
      }
      io.out(
        `policyc init: wrote ${written.length} files in ${path.relative(io.cwd, root) || "."}\n${written.map((f) => `  ${f}`).join("\n")}\n` +
          "next: npm install, then npx policyc build (commit generated/), npx policyc test, npx policyc apply\n",
      );
      setExit(EXIT.ok);
    });
}
