/** Reading YAML as Go's library (kubectl, gator, the Kyverno CLI) reads it. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { indentQuotedContinuations } from "../../src/kube/index.js";

describe("quoted scalars with under-indented continuation lines", () => {
  it("are indented past their key, keeping every line and the value Go reads", () => {
    const text = "a:\n  b: \"one\n two\n\n  three\"\n  c: 'x\n y'\n";
    const fixed = indentQuotedContinuations(text)!;
    expect(fixed.split("\n")).toHaveLength(text.split("\n").length);
    expect(parse(fixed)).toEqual({ a: { b: "one two\nthree", c: "x y" } });
  });

  it("leave block scalars, comments, escaped quotes and quotes inside plain scalars alone", () => {
    for (const text of [
      'rego: |\n  msg := "unterminated\nnext: 1\n',
      "note: it's plain\nnext: 1\n",
      '# a "quote in a comment\nnext: 1\n',
      'a: "escaped \\" quote"\nnext: 1\n',
      "a: 'it''s'\nnext: 1\n",
    ]) {
      expect(indentQuotedContinuations(text)).toBeUndefined();
    }
  });

  it("changes nothing in YAML that is already valid", () => {
    expect(indentQuotedContinuations('a:\n  b: "one\n    two"\n')).toBeUndefined();
  });
});
