/**
 * CEL laid out for people: an expression longer than a line is broken at its outermost argument
 * lists, `? :`, `||`, `&&` and `+`, each part on a line of its own, indented by depth, recursively,
 * until every line fits. CEL ignores whitespace between tokens, so the expression means exactly
 * what it meant on one line; string literals (policyc writes them double-quoted, with every line
 * break escaped) are never split. Reviewers read generated YAML in pull requests: this is for them.
 */

/** Lines longer than this are broken (the YAML key and indentation come on top). */
export const CEL_WIDTH = 100;

/** A token: a string literal, a bracket, an operator worth breaking at, or any other run of text. */
interface Token {
  readonly kind: "string" | "open" | "close" | "or" | "and" | "question" | "colon" | "comma" | "plus" | "text";
  readonly text: string;
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ kind: "text", text });
    text = "";
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '"' || ch === "'") {
      flush();
      let j = i + 1;
      while (j < s.length && s[j] !== ch) j += s[j] === "\\" ? 2 : 1;
      out.push({ kind: "string", text: s.slice(i, j + 1) });
      i = j;
    } else if ("([{".includes(ch)) {
      flush();
      out.push({ kind: "open", text: ch });
    } else if (")]}".includes(ch)) {
      flush();
      out.push({ kind: "close", text: ch });
    } else if ((ch === "|" || ch === "&") && s[i + 1] === ch) {
      flush();
      out.push({ kind: ch === "|" ? "or" : "and", text: ch + ch });
      i++;
    } else if (ch === "?" && s[i - 1] !== "." && s[i - 1] !== "[") {
      // A conditional's `?`; `.?name` and `[?key]` are optional selection.
      flush();
      out.push({ kind: "question", text: "?" });
    } else if (ch === ":") {
      flush();
      out.push({ kind: "colon", text: ":" });
    } else if (ch === "+" && s[i - 1] === " " && s[i + 1] === " ") {
      // Only the printer's spaced binary `+`: never the sign of an exponent (1e+21).
      flush();
      out.push({ kind: "plus", text: "+" });
    } else if (ch === ",") {
      flush();
      out.push({ kind: "comma", text: "," });
    } else text += ch;
  }
  flush();
  return out;
}

/** A node: a run of tokens, with bracketed groups nested. */
type Node = Token | { readonly kind: "group"; readonly open: string; readonly close: string; readonly items: Node[] };

function parse(tokens: readonly Token[]): Node[] {
  const stack: Node[][] = [[]];
  const opens: string[] = [];
  for (const t of tokens) {
    if (t.kind === "open") {
      stack.push([]);
      opens.push(t.text);
    } else if (t.kind === "close" && opens.length > 0) {
      const items = stack.pop()!;
      stack.at(-1)!.push({ kind: "group", open: opens.pop()!, close: t.text, items });
    } else stack.at(-1)!.push(t);
  }
  // Unbalanced (never in what policyc prints): leave the rest flat.
  while (stack.length > 1) {
    const items = stack.pop()!;
    stack.at(-1)!.push({ kind: "group", open: opens.pop()!, close: "", items });
  }
  return stack[0]!;
}

/** The run as written (the printer's own spacing), on one line. */
const flat = (nodes: readonly Node[]): string =>
  nodes
    .map((n) => (n.kind === "group" ? `${n.open}${flat(n.items)}${n.close}` : n.text))
    .join("")
    .trim();

/**
 * The top-level pieces of a run, split at the loosest operator it has (or undefined: nothing to
 * split at). In a map literal (`{`) and a list (`[`) only commas separate: a map's `:` is no conditional.
 */
function split(nodes: readonly Node[], open: string): { pieces: Node[][]; separators: Token[] } | undefined {
  // Loosest first: arguments, then a conditional, then ||, then &&.
  const levels = open === "{" || open === "[" ? [["comma"]] : [["comma"], ["question", "colon"], ["or"], ["and"], ["plus"]];
  for (const kinds of levels) {
    const at = nodes.flatMap((n, i) => ((kinds as readonly string[]).includes(n.kind) ? [i] : []));
    if (at.length === 0) continue;
    const pieces: Node[][] = [];
    let from = 0;
    for (const i of at) {
      pieces.push(nodes.slice(from, i) as Node[]);
      from = i + 1;
    }
    pieces.push(nodes.slice(from) as Node[]);
    return { pieces, separators: at.map((i) => nodes[i] as Token) };
  }
  return undefined;
}

function layout(nodes: readonly Node[], indent: string, width: number, open = "("): string {
  const one = flat(nodes);
  if (indent.length + one.length <= width) return one;
  const parts = split(nodes, open);
  if (parts) {
    // Each piece on its own line, the operator leading the line it joins (a comma ending it).
    return parts.pieces
      .map((p, i) => {
        const sep = parts.separators[i - 1];
        // An operator leads the line of the piece it joins; the piece's own lines follow it, aligned.
        const lead = i === 0 || sep?.kind === "comma" ? "" : `${sep!.text} `;
        return lead + layout(p, indent + " ".repeat(lead.length), width);
      })
      .map((line, i, all) => (parts.separators[i]?.kind === "comma" && i < all.length - 1 ? `${line},` : line))
      .join(`\n${indent}`);
  }
  // No operator at this level: open the longest group across lines.
  return nodes
    .map((n) => {
      if (n.kind !== "group") return n.text;
      const inner = flat(n.items);
      if (indent.length + inner.length + 2 <= width || n.items.length === 0) return `${n.open}${inner}${n.close}`;
      return `${n.open}\n${indent}  ${layout(n.items, indent + "  ", width, n.open)}\n${indent}${n.close}`;
    })
    .join("")
    .trim();
}

/** The expression laid out in lines of at most `width` characters where it can be broken. */
export function formatCel(expression: string, width = CEL_WIDTH): string {
  if (expression.length <= width) return expression;
  return layout(parse(tokenize(expression)), "", width);
}
