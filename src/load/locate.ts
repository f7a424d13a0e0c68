import path from "node:path";
import type { Issue } from "../ir/index.js";

/**
 * Moves issues reported at a `definePolicy({...})` or `defineException({...})` call to the property their path names
 * (`match.kinds[1]`, `instances[0].params.registries`), using ts-morph's syntax tree. Only runs
 * when there are issues, so a clean build never loads the TypeScript compiler.
 */
export async function locateIssues(issues: readonly Issue[], cwd: string): Promise<Issue[]> {
  const candidates = issues.filter((i) => i.source && i.path.length > 0 && i.source.line > 0);
  if (candidates.length === 0) return [...issues];
  const { Project, SyntaxKind, Node } = await import("ts-morph");
  const project = new Project({ useInMemoryFileSystem: false, skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });
  const out: Issue[] = [];
  for (const i of issues) {
    if (!candidates.includes(i) || !i.source) {
      out.push(i);
      continue;
    }
    const abs = path.resolve(cwd, i.source.file);
    const sf = project.getSourceFile(abs) ?? project.addSourceFileAtPathIfExists(abs);
    if (!sf) {
      out.push(i);
      continue;
    }
    const pos = sf.compilerNode.getPositionOfLineAndCharacter(i.source.line - 1, Math.max(0, i.source.column - 1));
    const call = sf
      .getDescendantsOfKind(SyntaxKind.CallExpression)
      .find((c) => c.getExpression().getStart() === pos && /define(Policy|Exception)$/.test(c.getExpression().getText()));
    let node = call?.getArguments()[0];
    if (!node || !call) {
      out.push(i);
      continue;
    }
    let found: import("ts-morph").Node = node;
    for (const seg of i.path) {
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
    out.push({ ...i, source: { file: i.source.file, line: lc.line, column: lc.column } });
  }
  return out;
}
