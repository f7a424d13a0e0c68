/**
 * Property tests: any string (quotes, backslashes, newlines, `{{ }}`, `$(...)`, `%v`, YAML
 * indicators, unicode) written by policyc's escapers reads back unchanged in CEL (on the CEL
 * engine), in Rego (compiled by OPA, evaluated on opa-wasm) and in YAML.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { discoverRegoCompiler } from "../../src/engines/opa/compiler.js";
import { RegoPolicy } from "../../src/engines/opa/policy.js";
import { celString, celValue } from "../../src/lower/cel/escape.js";
import { regoSelect, regoString, regoValue } from "../../src/lower/rego/escape.js";

/** Strings biased towards what breaks quoting, plus arbitrary unicode (no lone surrogates). */
const tricky = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '"',
        "'",
        "\\",
        "\n",
        "\r",
        "\t",
        "{{",
        "}}",
        "$(",
        ")",
        "%v",
        "%s",
        ": ",
        "- ",
        "#",
        "&",
        "*",
        "!",
        "|",
        ">",
        "@",
        "`",
        "\u2028",
        "\u0000",
        "\u007f",
        "\u0085",
        "\u009b",
        "\ufeff",
        "\u2029",
        "é",
        "😀",
        "\u00a0",
        "${x}",
        "\\u0041",
        "\\n",
      ),
      { maxLength: 12 },
    )
    .map((a) => a.join("")),
);

const SEED = 20261123;
const samples = fc.sample(tricky, { numRuns: 120, seed: SEED });

describe("escaping", () => {
  it("CEL: every string literal evaluates to the string itself", async () => {
    const runtime = await CelRuntime.get();
    for (const s of samples) {
      const r = runtime.call({ op: "expr", expression: celString(s) });
      expect(r, JSON.stringify(s)).toEqual({ ok: true, type: "string", value: s });
      const eq = runtime.call({ op: "expr", expression: `${celString(s)} == object.v`, vars: { object: { v: s } } });
      expect(eq.value, JSON.stringify(s)).toBe(true);
    }
  });

  it("CEL: JSON values (params) round-trip, keys included", async () => {
    const runtime = await CelRuntime.get();
    const values = fc.sample(fc.dictionary(tricky, fc.oneof(tricky, fc.integer(), fc.boolean(), fc.array(tricky, { maxLength: 3 }))), {
      numRuns: 60,
      seed: SEED,
    });
    for (const v of values) {
      const r = runtime.call({ op: "expr", expression: `${celValue(v)} == object`, vars: { object: v } });
      expect(r, JSON.stringify(v)).toEqual({ ok: true, type: "bool", value: true });
    }
  });

  it("Rego: every string literal and field selection compiles and compares literally (OPA compiler + opa-wasm)", async () => {
    const compiler = await discoverRegoCompiler();
    const rules = samples.map(
      (s, i) => `s${i} := ${regoString(s)}\nk${i} := input.obj${regoSelect(s)}\nv${i} := ${regoValue({ [s]: [s, 1] })}`,
    );
    const source = `package esc\n\n${rules.join("\n")}\n`;
    const entrypoints = samples.flatMap((_, i) => [`esc/s${i}`, `esc/k${i}`, `esc/v${i}`]);
    const [unit] = await compiler.compile([{ modules: [{ path: "esc.rego", source }], entrypoints, regoVersion: 1, strict: true }]);
    expect(unit?.ok ? "ok" : unit?.problems).toBe("ok");
    const policy = RegoPolicy.load(new WebAssembly.Module((unit as { wasm: Uint8Array }).wasm));
    samples.forEach((s, i) => {
      expect(policy.evaluate(`esc/s${i}`, {}), JSON.stringify(s)).toBe(s);
      expect(policy.evaluate(`esc/k${i}`, { obj: { [s]: "found" } }), JSON.stringify(s)).toBe("found");
      expect(policy.evaluate(`esc/v${i}`, {}), JSON.stringify(s)).toEqual({ [s]: [s, 1] });
    });
  });

  it("YAML: emitted strings parse back unchanged", () => {
    fc.assert(
      fc.property(tricky, tricky, (k, v) => {
        const doc = stringify({ metadata: { annotations: { [k]: v } }, spec: { message: v } });
        const back = parse(doc) as { metadata: { annotations: Record<string, string> }; spec: { message: string } };
        return back.spec.message === v && back.metadata.annotations[k] === v;
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it("lone UTF-16 surrogates have no UTF-8 form: the escapers refuse them", () => {
    expect(() => celString("a\ud800b")).toThrow(/lone UTF-16 surrogate/);
    expect(() => regoString("a\udc00")).toThrow();
  });
});
