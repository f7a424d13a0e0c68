/**
 * The builtins OPA's Wasm target leaves to the host, as policyc provides them, compared with OPA's
 * own interpreter on a table of values: both run the same Rego; the results must be equal.
 */
import { describe, expect, it } from "vitest";
import { discoverRegoCompiler } from "../../src/engines/opa/compiler.js";
import { MissingBuiltinError, RegoPolicy } from "../../src/engines/opa/policy.js";
import { HOST_BUILTINS } from "../../src/engines/opa/builtins/index.js";
import { opaInterpreter } from "../support/opa-oracle.js";

const CALLS: string[] = [
  // sprintf: Go's fmt with OPA's operand conversion; sets, objects, numbers, unicode.
  `sprintf("%v", [{"b", "a"}])`,
  `sprintf("%v", [set()])`,
  `sprintf("%v %v", [{"k": [1, 2.5, "x"]}, null])`,
  `sprintf("%s|%d|%v|%q", ["héllo ✓", 42, true, "tab\\there"])`,
  `sprintf("%v", [{"z": 1, "a": {"y", "x"}, "m": [true, false]}])`,
  `sprintf("%d %d", [1, 2, 3])`,
  `sprintf("%d %s", [1])`,
  `sprintf("%f|%.2f|%e|%g|%v", [3.14159, 2.5, 12345.678, 0.000012, 1.5])`,
  `sprintf("%v %v %v", [1e3, 1000000.0, 123456789012345678901234567890])`,
  `sprintf("%5d|%-5d|%05d|%x|%X|%o|%b", [42, 42, 42, 255, 255, 8, 5])`,
  `sprintf("%f", [1])`,
  `sprintf("%d", ["x"])`,
  `sprintf("%v", ["\\u00e9\\u0000\\n"])`,
  `sprintf("%q", ["é\\u0007 \\ud83d\\ude00"])`,
  `sprintf("%v", [["é", "\\u00a0"]])`,
  `sprintf("100%% %v", ["sure"])`,
  `sprintf("%10s|%-10s|%.3s", ["abc", "abc", "abcdef"])`,
  `sprintf("%T %T %T", [1, 1.5, "s"])`,
  `sprintf("%v", [-0.0])`,
  `sprintf("%v %v", [1.0, 2.50])`,
  `sprintf("%d", [12345678901234567890])`,
  // sprintf corners (Go's fmt): argument indexes, star widths, %#v, %x of a float, huge precision, 1e400.
  `sprintf("%[2]d %[1]d", [1, 2])`,
  `sprintf("%[3]v", [1, 2])`,
  `sprintf("%*d|%-*d", [5, 42, 4, 7])`,
  `sprintf("%.*f", [2, 3.14159])`,
  `sprintf("%#v", ["a"])`,
  `sprintf("%#v", [[1, "b"]])`,
  `sprintf("%#v", [{"k": 1}])`,
  `sprintf("%x|%X", [1.5, 255.0])`,
  `sprintf("%.30f", [0.1])`,
  `sprintf("%.100f", [1])`,
  `sprintf("%v", [1e400])`,
  `sprintf("%d", [1e400])`,
  `sprintf("%e", [1e400])`,
  // strings
  `strings.any_prefix_match("abc", ["x", "ab"])`,
  `strings.any_prefix_match({"nginx:1", "busybox"}, "bus")`,
  `strings.any_prefix_match([], "a")`,
  `strings.any_suffix_match(["image:latest", "x"], {":latest"})`,
  `strings.any_suffix_match("abc", "d")`,
  `strings.count("cheese", "e")`,
  `strings.count("five", "")`,
  `strings.count("ééé", "é")`,
  `indexof_n("sad sad sad", "sad")`,
  `indexof_n("éaéa", "a")`,
  // regex (Go regexp on RE2)
  `regex.split("a", "banana")`,
  `regex.split("x*", "axbc")`,
  `regex.split(",", "")`,
  `regex.find_n("[a-z]+", "ab 12 cd ef", 2)`,
  `regex.find_n("a*", "baaac", -1)`,
  `regex.replace("registry.io/app:1.0", ":[^:]+$", ":latest")`,
  `regex.replace("abc", "(b)", "[$1]")`,
  `regex.replace("abc", "(?P<x>b)", "<\${x}>")`,
  `regex.replace("aaa", "a*", "-")`,
  // units
  `units.parse("10k")`,
  `units.parse("1.5Gi")`,
  `units.parse("100m")`,
  `units.parse("2M")`,
  `units.parse_bytes("1Gi")`,
  `units.parse_bytes("10KB")`,
  `units.parse_bytes("1.5mib")`,
  `units.parse_bytes("5")`,
  `units.parse("2 k")`,
  `units.parse("zz")`,
  `units.parse("-0.5m")`,
  `units.parse("1e3")`,
  `units.parse("1e3Ki")`,
  `units.parse_bytes("-1K")`,
  `units.parse_bytes("1e3")`,
  `units.parse_bytes("0.5Ki")`,
  // regex with an invalid pattern
  `regex.split("(", "a(b")`,
  // yaml
  `yaml.unmarshal("a: 1\\nb: [x, true]\\n")`,
  `yaml.is_valid("a: [")`,
  // yaml.unmarshal as Go's YAML (sigs.k8s.io/yaml over yaml.v2... OPA's own choice) reads it
  `yaml.unmarshal("[yes, on, off, y, n, 1_000, 012, 0x1F, 1e3, ~, .inf]")`,
  `yaml.unmarshal("a: !!binary aGVsbG8=")`,
  `yaml.unmarshal("a: 1\\na: 2\\n")`,
  `yaml.unmarshal("base: &b {x: 1, y: 2}\\nc:\\n  <<: *b\\n  y: 3\\n")`,
  `yaml.unmarshal("a: 1\\n---\\nb: 2\\n")`,
  `yaml.unmarshal("2001-12-14: t\\nk: 2001-12-14t21:59:43.10-05:00\\n")`,
  `yaml.is_valid("a: 1\\na: 2\\n")`,
  // yaml.marshal: quoting and key order
  `yaml.marshal({"z": "yes", "a": "on", "m": "012", "n": "1e3", "q": "", "s": "a: b", "t": true, "l": ["~", null, 1.5]})`,
  `yaml.marshal(["multi\\nline", "  lead", "#x", "-"])`,
];

const module = {
  path: "builtins.rego",
  source: ["package t", "", ...CALLS.map((c, i) => `r${i} := ${c}`)].join("\n") + "\n",
};

describe("host builtins against OPA's interpreter", async () => {
  const compiler = await discoverRegoCompiler();
  const [unit] = await compiler.compile([
    { modules: [module], entrypoints: CALLS.map((_, i) => `t/r${i}`), regoVersion: 1, strict: false },
  ]);
  if (!unit?.ok) throw new Error(JSON.stringify(unit));
  const policy = RegoPolicy.load(new WebAssembly.Module(unit.wasm));
  const oracle = opaInterpreter(
    [module],
    CALLS.map((_, i) => `data.t.r${i}`),
  );

  it("every host builtin the table calls is one policyc provides", () => {
    for (const b of policy.hostBuiltins) expect(Object.keys(HOST_BUILTINS)).toContain(b);
    expect(policy.hostBuiltins).toEqual(
      expect.arrayContaining([
        "sprintf",
        "strings.any_prefix_match",
        "strings.any_suffix_match",
        "regex.split",
        "regex.replace",
        "units.parse",
        "units.parse_bytes",
      ]),
    );
  });

  CALLS.forEach((call, i) => {
    it(call, () => {
      const wasm = policy.evaluate(`t/r${i}`, {});
      const opa = oracle[i]!;
      // Undefined (a builtin error, non-strict) on both sides, or the same value.
      expect(wasm === undefined ? [] : [wasm]).toEqual(opa.values);
    });
  });
});

describe("a builtin nothing provides", () => {
  it("fails loading with the builtin's name, never a silent undefined", async () => {
    const compiler = await discoverRegoCompiler();
    const src = { path: "m.rego", source: 'package m\n\nr := net.lookup_ip_addr("localhost")\n' };
    const [unit] = await compiler.compile([{ modules: [src], entrypoints: ["m/r"], regoVersion: 1, strict: false }]);
    if (!unit?.ok) throw new Error(JSON.stringify(unit));
    expect(() => RegoPolicy.load(new WebAssembly.Module(unit.wasm))).toThrow(MissingBuiltinError);
    expect(() => RegoPolicy.load(new WebAssembly.Module(unit.wasm))).toThrow(/net\.lookup_ip_addr/);
  });
});
