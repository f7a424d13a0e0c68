import path from "node:path";
import type { Issue, SourceLocation } from "../ir/index.js";

/**
 * Moves issues reported at a `definePolicy({...})` or `defineException({...})` call to the property their path names
 * (`match.kinds[1]`, `instances[0].params.registries`), using ts-morph's syntax tree. Only runs
 * when there are issues, so a clean build never loads the TypeScript compiler.
 */
export async function locateIssues(issues: readonly Issue[], cwd: string): Promise<Issue[]> {
  const located = await locatePaths(
    issues.map((i) => (i.source && i.path.length > 0 && i.source.line > 0 ? { source: i.source, path: i.path } : undefined)),
    cwd,
  );
  return issues.map((i, n) => (located[n] ? { ...i, source: located[n] } : i));
}

/**
 * Where each path inside a `definePolicy({...})` or `defineException({...})` call is (`tests[3]`,
 * `match.kinds[1]`): its file, line and column; undefined where it cannot be found (or none was asked).
 */
export async function locatePaths(
  requests: readonly ({ readonly source: SourceLocation; readonly path: readonly (string | number)[] } | undefined)[],
  cwd: string,
): Promise<(SourceLocation | undefined)[]> {
  if (requests.every((r) => r === undefined)) return requests.map(() => undefined);
  const { Project, SyntaxKind, Node } = await import("ts-morph");
  const project = new Project({ useInMemoryFileSystem: false, skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });
  return requests.map((r) => {
    if (!r) return undefined;
    const abs = path.resolve(cwd, r.source.file);
    const sf = project.getSourceFile(abs) ?? project.addSourceFileAtPathIfExists(abs);
    if (!sf) return undefined;
    const pos = sf.compilerNode.getPositionOfLineAndCharacter(r.source.line - 1, Math.max(0, r.source.column - 1));
    const call = sf
      .getDescendantsOfKind(SyntaxKind.CallExpression)
      .find((c) => c.getExpression().getStart() === pos && /define(Policy|Exception)$/.test(c.getExpression().getText()));
    let node = call?.getArguments()[0];
    if (!node || !call) return undefined;
    let found: import("ts-morph").Node = node;
    for (const seg of r.path) {
      // Look through `{...} as T`, `{...} satisfies T` and parentheses.
      while (Node.isAsExpression(node) || Node.isSatisfiesExpression(node) || Node.isParenthesizedExpression(node))
        node = node.getExpression();
      let next: import("ts-morph").Node | undefined;
      if (typeof seg === "string" && Node.isObjectLiteralExpression(node)) {
        const prop: import("ts-morph").Node | undefined = node.getProperty(seg);
        next = prop && Node.isPropertyAssignment(prop) ? prop.getInitializer() : prop;
        if (prop) found = prop;
      } else if (typeof seg === "number" && Node.isArrayLiteralExpression(node)) {
        next = node.getElements()[seg];
        if (next) found = next;
      }
      if (!next) break;
      node = next;
    }
    const lc = sf.getLineAndColumnAtPos(found.getStart());
    return { file: r.source.file, line: lc.line, column: lc.column };
  });
}
