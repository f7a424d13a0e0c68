import type { Expr, Policy } from "./types.js";
import type { ValueNode } from "./values.js";
import { assertNever } from "./walk.js";

/** A compact, readable rendering of a policy's IR, for the fuzzer's counterexamples and failing-test output. */
export function printPolicy(p: Policy): string {
  const lines = [
    `policy ${p.name} (subject: ${p.subject}, enforcement: ${p.enforcement})`,
    `  match kinds: ${p.match.kinds.map((k) => (k.group ? `${k.group}/${k.kind}` : k.kind)).join(", ")}; operations: ${p.match.operations.join(", ")}`,
  ];
  if (p.when) lines.push(`  when ${printExpr(p.when)}`);
  for (const r of p.rules) {
    lines.push(`  rule ${r.name}`);
    if (r.when) lines.push(`    when ${printExpr(r.when)}`);
    lines.push(`    assert ${printExpr(r.assert)}`);
    lines.push(
      `    message ${JSON.stringify(r.message.parts.map((m) => (m.kind === "text" ? m.text : `{${printOperand(m.value)}}`)).join(""))}`,
    );
  }
  return lines.join("\n");
}

const SCOPE_NAMES = { subject: "$", oldSubject: "$old", request: "request", namespace: "namespace" } as const;

export function printOperand(o: ValueNode): string {
  switch (o.kind) {
    case "field":
      return (
        (o.scope.kind === "element" ? o.scope.variable : SCOPE_NAMES[o.scope.kind]) +
        o.path.map((s) => (typeof s === "string" ? `.${s}` : `[${printOperand(s.key)}]`)).join("")
      );
    case "key":
      return `[${printOperand(o.key)}]`;
    case "literal":
      return JSON.stringify(o.value);
    case "param":
      return ["params", ...o.path].join(".");
    case "image":
      return `image(${printOperand(o.of)}).${o.part}`;
    case "concat":
      return `concat(${o.items.map(printOperand).join(", ")})`;
    case "case":
      return `${o.to}(${printOperand(o.of)})`;
    case "join":
      return `join(${printOperand(o.list)}, ${JSON.stringify(o.separator)})`;
    case "split":
      return `split(${printOperand(o.of)}, ${JSON.stringify(o.separator)})`;
    case "keys":
      return `keys(${printOperand(o.of)})`;
    case "lookup": {
      const where = o.namespace ? ` in ${printOperand(o.namespace)}` : o.target.namespaced ? " in every namespace" : "";
      const named = o.name ? ` named ${printOperand(o.name)}` : "";
      const labels = o.labels?.length ? ` with ${o.labels.map((l) => `${l.key}=${printOperand(l.value)}`).join(", ")}` : "";
      return `lookup(${o.target.group ? `${o.target.group}/` : ""}${o.target.kind}${where}${named}${labels})`;
    }
    default:
      return assertNever(o);
  }
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case "const":
      return String(e.value);
    case "exists":
      return `exists(${printOperand(e.field)})`;
    case "compare":
      return `${printOperand(e.left)} ${e.op} ${printOperand(e.right)}`;
    case "in":
      return `${printOperand(e.value)} in ${printOperand(e.list)}`;
    case "string":
      return `${e.op}(${printOperand(e.value)}, ${printOperand(e.arg)})`;
    case "quantity":
      return `quantity ${printOperand(e.left)} ${e.op} ${printOperand(e.right)}`;
    case "count":
      return `count(${e.lists.map(printOperand).join(" + ")}) ${e.op} ${e.value}`;
    case "selects":
      return `${e.style === "map" ? "mapSelector" : "selector"} ${printOperand(e.selector)} selects ${printOperand(e.labels)}`;
    case "quantifier":
      return `${e.quantifier}(${e.variable} in ${e.lists.map(printOperand).join(" + ")}: ${printExpr(e.body)})`;
    case "and":
    case "or":
      return `(${e.items.map(printExpr).join(` ${e.kind} `)})`;
    case "not":
      return `not ${printExpr(e.item)}`;
    default:
      return assertNever(e);
  }
}
