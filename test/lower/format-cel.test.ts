/**
 * Generated CEL a reviewer can read: long expressions are laid out over indented lines (and the
 * CEL engine reads them to the same value), no line of the library's generated/ is longer than
 * 300 characters, and no guard tests a constant.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { formatCel } from "../../src/lower/cel/format.js";
import { ROOT } from "../support/helpers.js";

const generated = (dir: string) =>
  readdirSync(path.join(ROOT, "generated", dir))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => ({ file: `generated/${dir}/${f}`, text: readFileSync(path.join(ROOT, "generated", dir, f), "utf8") }));
const all = ["kyverno", "kubernetes", "gatekeeper"].flatMap(generated);

describe("generated YAML for review", () => {
  it("has no line longer than 300 characters", () => {
    expect(all.length).toBeGreaterThan(100);
    const long = all.flatMap(({ file, text }) =>
      text.split("\n").flatMap((l, i) => (l.length > 300 ? [`${file}:${i + 1} (${l.length})`] : [])),
    );
    expect(long).toEqual([]);
  });

  it("tests no constant's type (a guard that always holds)", () => {
    const guards = all.flatMap(({ file, text }) => (/type\((?:-?\d|"|\[|\{|true\b|false\b|null\b)/.test(text) ? [file] : []));
    expect(guards).toEqual([]);
  });

  it("binds a rule's violating elements once, for the check and the message (image parsing is written once per use)", () => {
    const vap = all.find((f) => f.file === "generated/kubernetes/restrict-image-registries.yaml")!.text;
    expect(vap).toContain("- expression: size(variables.containerViolations) == 0");
    expect(vap).toContain("variables.containerViolations.map(");
  });
});

describe("formatCel", async () => {
  const runtime = await CelRuntime.get();
  const value = (expression: string) =>
    runtime.call({ op: "expr", expression, vars: { object: { a: [1, 2, 3], s: "x  y", m: { "k:1": "v" } } } });
  const long = [
    `object.a.all(x, x > 0 && x < 10 && x != 7 && [x].exists(y, y == x || y == x + 1 || y == 1e+21)) && object.s == "x  y" && {"k": "a: b, c ? d || e"}.k == "a: b, c ? d || e"`,
    `object.m[?"k:1"].orValue("none") + " " + string(size(object.a)) + " " + (size(object.a) > 2 ? "many, really many" : "few") + " " + object.s + " end"`,
  ];

  it.each(long)("lays out %s in lines and keeps its value", (expression) => {
    const laid = formatCel(expression, 40);
    expect(laid.split("\n").length).toBeGreaterThan(2);
    expect(value(laid)).toEqual(value(expression));
    expect(value(expression).ok).toBe(true);
  });

  it("keeps every string literal whole, whatever it holds", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { minLength: 3, maxLength: 8 }), (items) => {
        const expression = `[${items.map((s) => JSON.stringify(s)).join(", ")}].all(x, x == x && size(x) >= 0 || x == "a, b")`;
        const laid = formatCel(expression, 20);
        for (const s of items) expect(laid).toContain(JSON.stringify(s));
      }),
      { numRuns: 200, seed: 20261206 },
    );
  });
});
