import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { EXIT, type Io } from "../output.js";
import { policycVersion } from "../reporting.js";
import { scaffold } from "../scaffold.js";

/** `policyc init [dir]`: scaffolds a project; never overwrites a file (package.json and tsconfig.json are left as they are). */
export function initCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("init")
    .description("scaffold a project: configuration, a policy with fixtures and cases, a vitest test, manifests, a CI workflow")
    .argument("[dir]", "where (default: the current folder)", ".")
    .action((dir: string) => {
      const root = path.resolve(io.cwd, dir);
      const files = scaffold(policycVersion());
      const optional = new Set(["package.json", "tsconfig.json"]);
      const clashes = Object.keys(files).filter((f) => !optional.has(f) && existsSync(path.join(root, f)));
      if (clashes.length) {
        io.err(
          `policyc init: these files exist already; nothing was written:\n${clashes.map((f) => `  ${path.join(dir, f)}`).join("\n")}\n`,
        );
        return setExit(EXIT.invalid);
      }
      const written: string[] = [];
      for (const [file, text] of Object.entries(files)) {
        const target = path.join(root, file);
        if (existsSync(target)) continue;
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, text);
        written.push(file);
      }
      io.out(
        `policyc init: wrote ${written.length} files in ${path.relative(io.cwd, root) || "."}\n${written.map((f) => `  ${f}`).join("\n")}\n` +
          "next: npm install, then npx policyc build, npx policyc test, npx policyc apply\n",
      );
      setExit(EXIT.ok);
    });
}
