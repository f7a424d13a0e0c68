import { statementsMention, termMentions, type Definition, type Module, type Rule, type Statement, type Term } from "./ast.js";
import { regoSelect, regoString, regoValue } from "./escape.js";
import { PRELUDES } from "./prelude.generated.js";

/**
 * Prints a Rego module: `package`, imports, then each rule (or prelude) separated by a blank
 * line, tabs for indentation. The output parses as Rego v1, and as v0 with `import rego.v1`.
 */
export function printRego(m: Module): string {
  const blocks = [`package ${m.package}`, m.imports.map((i) => `import ${i}`).join("\n")];
  for (const item of m.items) blocks.push(item.kind === "prelude" ? PRELUDES[item.name].trimEnd() : printRule(item));
  return blocks.filter((b) => b !== "").join("\n\n") + "\n";
}

function printRule(r: Rule): string {
  // A function's clause that does not read an argument names it `_`: OPA refuses unused arguments.
  const head = (d?: Definition) => {
    if (!r.args) return r.name;
    const used = (a: string) =>
      d === undefined ||
      statementsMention(d.body, a) ||
      (d.value !== undefined && termMentions(d.value, a)) ||
      (d.else !== undefined && termMentions(d.else, a));
    return `${r.name}(${r.args.map((a) => (used(a) ? a : "_")).join(", ")})`;
  };
  const lines = r.comment ? [`# ${r.comment}`] : [];
  if (r.definitions.length === 0) lines.push(`${head()} if false`);
  for (const d of r.definitions) lines.push(printDefinition(head(d), r.head, d));
  return lines
    .flatMap((l) => l.split("\n"))
    .flatMap(breakLongLine)
    .join("\n");
}

/** Lines longer than this have their longest literal (a list, a set, an object, a call's arguments) opened, an item a line. */
const REGO_WIDTH = 120;

/**
 * A line of Rego broken for people: the first bracketed group long enough to matter is written
 * one item a line, one tab deeper; again until the line fits or nothing is left to open. Rego
 * reads terms across lines inside brackets, so the module means what it meant.
 */
function breakLongLine(line: string): string[] {
  if (line.length <= REGO_WIDTH) return [line];
  const indent = /^\t*/.exec(line)![0];
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < line.length && line[j] !== ch) j += ch === '"' && line[j] === "\\" ? 2 : 1;
      i = j;
    } else if ("([{".includes(ch)) {
      if (depth === 0) {
        open = i;
        commas.length = 0;
      }
      depth++;
    } else if (")]}".includes(ch)) {
      depth--;
      if (depth === 0 && commas.length > 0 && i - open > REGO_WIDTH / 2) {
        const items = [open + 1, ...commas.map((c) => c + 1)].map((from, k) => line.slice(from, k < commas.length ? commas[k] : i).trim());
        return [
          line.slice(0, open + 1),
          ...items.flatMap((item) => breakLongLine(`${indent}\t${item},`)),
          ...breakLongLine(`${indent}${line.slice(i)}`),
        ];
      }
    } else if (ch === "," && depth === 1) commas.push(i);
  }
  return [line];
}

function printDefinition(name: string, kind: Rule["head"], d: Definition): string {
  const head = d.value === undefined ? name : `${name} ${kind === "contains" ? "contains" : ":="} ${printTerm(d.value)}`;
  const tail = d.else !== undefined ? ` else := ${printTerm(d.else)}` : "";
  if (d.body.length === 0) return head + tail;
  if (d.inline && d.body.length === 1) return `${head} if ${printStatement(d.body[0]!)}${tail}`;
  return [`${head} if {`, ...d.body.map((s) => `\t${printStatement(s)}`), `}${tail}`].join("\n");
}

export function printStatement(s: Statement): string {
  switch (s.kind) {
    case "expr":
      return printTerm(s.term);
    case "not":
      return `not ${printTerm(s.term)}`;
    case "assign":
      return `${s.name} := ${printTerm(s.value)}`;
    case "unify":
      return `${printTerm(s.left)} = ${printTerm(s.right)}`;
    case "some":
      return `some ${s.vars.join(", ")} in ${printTerm(s.domain)}`;
  }
}

export function printTerm(t: Term): string {
  switch (t.kind) {
    case "var":
      return t.name;
    case "wildcard":
      return "_";
    case "value":
      return regoValue(t.value);
    case "ref":
      return printOperand(t.base) + t.path.map((s) => (s.kind === "field" ? regoSelect(s.name) : `[${printTerm(s.term)}]`)).join("");
    case "call":
      return `${t.fn}(${t.args.map(printTerm).join(", ")})`;
    case "binary":
      return `${printOperand(t.left)} ${t.op} ${printOperand(t.right)}`;
    case "array":
      return `[${t.items.map(printTerm).join(", ")}]`;
    case "set":
      return `{${t.items.map(printTerm).join(", ")}}`;
    case "object":
      return `{${t.entries.map(([k, x]) => `${printTerm(k)}: ${printTerm(x)}`).join(", ")}}`;
    case "comprehension":
      return `[${printTerm(t.head)} | ${t.body.map(printStatement).join("; ")}]`;
  }
}

/** A term inside a larger one: a nested comparison or arithmetic gets parentheses. */
function printOperand(t: Term): string {
  return t.kind === "binary" ? `(${printTerm(t)})` : printTerm(t);
}

export { regoString };
