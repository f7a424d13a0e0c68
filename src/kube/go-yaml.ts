/**
 * How Kubernetes tools read YAML. kubectl, gator and the Kyverno CLI read manifests with Go's YAML
 * library (yaml.v2 behind sigs.k8s.io/yaml), which differs from a YAML 1.2 reader in two ways users
 * meet:
 * - plain scalars follow YAML 1.1: `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0755` is octal;
 *   timestamps stay the strings they are when decoded into plain data;
 * - the continuation lines of a multi-line quoted scalar may be indented less than the YAML
 *   specification requires (`description: "… \n  more"` under a deeper key): Go's scanner folds them
 *   into the string all the same.
 */

/** The options that make the `yaml` package read plain scalars as Go's YAML does. */
export const GO_YAML_1_1: DocumentOptions & SchemaOptions = {
  version: "1.1",
  customTags: (tags) => tags.filter((t) => (t as { tag?: string }).tag !== "tag:yaml.org,2002:timestamp"),
};

import type { DocumentOptions, SchemaOptions } from "yaml";

const leading = (line: string) => line.length - line.trimStart().length;

/**
 * The text with every continuation line of a multi-line quoted scalar indented past the line the
 * scalar starts on, or undefined when no line needed it. Leading white space of a continuation line
 * is folded away in a quoted scalar, so the value read is the one Go's library reads; line numbers
 * are unchanged. Block scalars (`|`, `>`), comments and quotes inside plain scalars are left alone.
 */
export function indentQuotedContinuations(text: string): string | undefined {
  const lines = text.split("\n");
  let changed = false;
  let quote: '"' | "'" | undefined;
  let minIndent = 0;
  let blockParent: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const indent = leading(line);
    if (quote) {
      if (line.trim() !== "" && indent < minIndent) {
        line = " ".repeat(minIndent) + line.trimStart();
        lines[i] = line;
        changed = true;
      }
    } else {
      if (blockParent !== undefined) {
        if (line.trim() === "" || indent > blockParent) continue;
        blockParent = undefined;
      }
      if (/^(---|\.\.\.)(\s|$)/.test(line)) continue;
    }
    let valueStart = !quote;
    for (let c = quote ? 0 : indent; c < line.length; c++) {
      const ch = line[c]!;
      if (quote === '"') {
        if (ch === "\\") c++;
        else if (ch === '"') quote = undefined;
        continue;
      }
      if (quote === "'") {
        if (ch === "'" && line[c + 1] === "'") c++;
        else if (ch === "'") quote = undefined;
        continue;
      }
      if (ch === " " || ch === "\t") continue;
      if (ch === "#" && (c === 0 || /\s/.test(line[c - 1]!))) break;
      if (valueStart && (ch === '"' || ch === "'")) {
        quote = ch;
        minIndent = indent + 1;
        continue;
      }
      if (valueStart && (ch === "|" || ch === ">")) {
        blockParent = indent;
        break;
      }
      // Where a new value may begin: after `- `, `? `, `key: `, and inside flow collections.
      const next = line[c + 1];
      const separated = next === undefined || next === " " || next === "\t";
      valueStart = ((ch === "-" || ch === "?" || ch === ":") && separated) || ch === "[" || ch === "{" || ch === ",";
    }
  }
  return changed ? lines.join("\n") : undefined;
}
