import path from "node:path";
import { issue, type Issue } from "../ir/index.js";

/**
 * Type-checks policy files with the TypeScript compiler (through ts-morph), with fixed strict
 * options (the project's own tsconfig.json is not read). `import "policyc"` is mapped to the
 * running policyc's types.
 */
export async function typecheckPolicies(files: readonly string[], cwd: string): Promise<Issue[]> {
  if (files.length === 0) return [];
  const { Project, ts } = await import("ts-morph");
  const entry = new URL(import.meta.url.endsWith(".ts") ? "../index.ts" : "../index.d.ts", import.meta.url);
  const policycTypes = decodeURIComponent(entry.pathname);
  const library = new URL(import.meta.url.endsWith(".ts") ? "../library/index.ts" : "../library/index.d.ts", import.meta.url);
  const project = new Project({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      types: [],
      baseUrl: cwd,
      paths: { policyc: [policycTypes], "policyc/library": [decodeURIComponent(library.pathname)] },
    },
    skipAddingFilesFromTsConfig: true,
  });
  for (const f of files) project.addSourceFileAtPath(path.resolve(cwd, f));
  project.resolveSourceFileDependencies();
  const wanted = new Set(files.map((f) => path.resolve(cwd, f)));
  const out: Issue[] = [];
  for (const d of project.getPreEmitDiagnostics()) {
    const sf = d.getSourceFile();
    if (!sf || !wanted.has(sf.getFilePath())) continue;
    const start = d.getStart() ?? 0;
    const lc = sf.getLineAndColumnAtPos(start);
    const msg = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n").split("\n")[0] ?? "";
    out.push(
      issue("type_error", `TS${d.getCode()}: ${msg}`, {
        file: path.relative(cwd, sf.getFilePath()).split(path.sep).join("/"),
        line: lc.line,
        column: lc.column,
      }),
    );
  }
  return out;
}
