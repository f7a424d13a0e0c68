/**
 * The allowed imports between src/ folders, as docs/architecture.md writes them down: a test over
 * the TypeScript import graph (TypeScript's own pre-processor finds every import, export-from and
 * dynamic import).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/helpers.js";

const SRC = path.join(ROOT, "src");

/** The dependency graph block of docs/architecture.md: folder → folders it may import. */
function allowedGraph(): Map<string, Set<string>> {
  const doc = readFileSync(path.join(ROOT, "docs", "architecture.md"), "utf8");
  const block = /```dependency-graph\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error("docs/architecture.md has no dependency-graph block");
  const graph = new Map<string, Set<string>>();
  for (const line of block.split("\n").filter((l) => l.trim())) {
    const [from, to = ""] = line.split(":");
    graph.set(
      from!.trim(),
      new Set(
        to
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    );
  }
  return graph;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? sourceFiles(full) : /\.(ts|js|mjs)$/.test(f) && !f.endsWith(".d.ts") ? [full] : [];
  });
}

/** The unit a src file belongs to: the deepest folder the graph names (`engines/kyverno`, `lower/cel`, `ir`…). */
function unitOf(file: string, units: readonly string[]): string | undefined {
  const rel = path.relative(SRC, file).split(path.sep).join("/");
  if (rel === "index.ts") return "index";
  const dirs = rel.split("/").slice(0, -1);
  for (let n = dirs.length; n > 0; n--) {
    const u = dirs.slice(0, n).join("/");
    if (units.includes(u)) return u;
  }
  return undefined;
}

interface Edge {
  readonly file: string;
  readonly specifier: string;
  readonly from: string;
  readonly to: string;
  readonly target: string;
}

function edges(units: readonly string[]): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file, units);
    if (!from) continue;
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const ref of info.importedFiles) {
      const specifier = ref.fileName;
      if (!specifier.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, ".ts");
      const to = unitOf(target, units);
      if (to && to !== from) out.push({ file: path.relative(ROOT, file), specifier, from, to, target });
    }
  }
  return out;
}

describe("architecture", () => {
  const graph = allowedGraph();
  const units = [...graph.keys()];
  const all = edges(units);

  it("finds the folders and their imports", () => {
    expect(units).toEqual(expect.arrayContaining(["kube", "ir", "sdk", "engines/kyverno", "harness", "cli"]));
    expect(all.length).toBeGreaterThan(50);
  });

  it("every import across folders is one docs/architecture.md allows", () => {
    const bad = all.filter((e) => !graph.get(e.from)!.has(e.to)).map((e) => `${e.file}: ${e.from} may not import ${e.to} (${e.specifier})`);
    expect(bad).toEqual([]);
  });

  it("imports across folders go through the folder's index.ts", () => {
    const bad = all.filter((e) => path.basename(e.target) !== "index.ts").map((e) => `${e.file}: ${e.specifier} skips ${e.to}/index.ts`);
    expect(bad).toEqual([]);
  });

  it("engines never import the SDK or each other", () => {
    const engines = ["engines/gatekeeper", "engines/kubernetes", "engines/kyverno", "engines/reference"];
    for (const e of engines) {
      const deps = graph.get(e)!;
      expect(
        [...deps].filter((d) => d === "sdk" || engines.includes(d)),
        e,
      ).toEqual([]);
    }
  });

  it("the graph has no cycles", () => {
    const state = new Map<string, "visiting" | "done">();
    const visit = (u: string, trail: string[]): void => {
      if (state.get(u) === "done") return;
      if (state.get(u) === "visiting") throw new Error(`cycle: ${[...trail, u].join(" → ")}`);
      state.set(u, "visiting");
      for (const d of graph.get(u) ?? []) visit(d, [...trail, u]);
      state.set(u, "done");
    };
    for (const u of units) visit(u, []);
  });

  it("the pure layers do no file system or process work", () => {
    const pure = [
      "kube",
      "ir",
      "sdk",
      "library",
      "lower/cel",
      "lower/rego",
      "lower",
      "backends/document",
      "backends/kyverno",
      "backends/kubernetes",
      "backends/gatekeeper",
      "backends",
    ];
    const bad: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const unit = unitOf(file, units);
      if (!unit || !pure.includes(unit) || file.endsWith(".mjs")) continue;
      const text = readFileSync(file, "utf8");
      for (const ref of ts.preProcessFile(text, true, true).importedFiles)
        if (ref.fileName.startsWith("node:")) bad.push(`${path.relative(ROOT, file)} imports ${ref.fileName}`);
      if (/\bprocess\./.test(text)) bad.push(`${path.relative(ROOT, file)} reads process`);
    }
    expect(bad).toEqual([]);
  });

  it("the composition module is the only place outside the engines that makes engines (harness/compose.ts)", () => {
    const ENGINE_CLASSES = /\b(KyvernoEngine|KubernetesEngine|GatekeeperEngine|ReferenceEngine)\b/;
    const bad = sourceFiles(SRC)
      .filter((f) => {
        const rel = path.relative(SRC, f).split(path.sep).join("/");
        return !rel.startsWith("engines/") && rel !== "harness/compose.ts";
      })
      .filter((f) => ENGINE_CLASSES.test(readFileSync(f, "utf8")))
      .map((f) => path.relative(ROOT, f));
    expect(bad).toEqual([]);
  });

  it(`no function in src/harness or src/cli is longer than ${MAX_FUNCTION_LINES} lines: commands read as their steps`, () => {
    const long: string[] = [];
    for (const dir of ["harness", "cli"])
      for (const file of sourceFiles(path.join(SRC, dir))) {
        if (!file.endsWith(".ts")) continue;
        const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
        const visit = (node: ts.Node): void => {
          if (ts.isFunctionLike(node) && "body" in node && node.body) {
            const lines =
              source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
            if (lines > MAX_FUNCTION_LINES)
              long.push(`${path.relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${lines} lines`);
          }
          ts.forEachChild(node, visit);
        };
        visit(source);
      }
    expect(long).toEqual([]);
  });
});

const MAX_FUNCTION_LINES = 80;
