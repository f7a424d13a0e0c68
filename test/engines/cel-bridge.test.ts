/**
 * The in-process CEL engine (WASI) against a native build of the same Go code: the same values
 * and the same errors on a table of expressions.
 */
import { describe, expect, it } from "vitest";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { nativeCel } from "../support/cel-oracle.js";

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", labels: { app: "web", "team.example.com/owner": "ops" } },
  spec: {
    replicas: 3,
    ratio: 0.5,
    containers: [
      { name: "app", image: "registry.example.com/app:1.2", resources: { limits: { memory: "512Mi", cpu: "500m" } } },
      { name: "side", image: "busybox:latest" },
    ],
  },
};

const TABLE: { expression: string; vars?: Record<string, unknown> }[] = [
  // optional syntax
  { expression: "object.?metadata.?labels.?team.orValue('none')", vars: { object: pod } },
  { expression: "object.?metadata.?labels[?'team.example.com/owner'].orValue('none')", vars: { object: pod } },
  { expression: "object.?spec.?missing.hasValue()", vars: { object: pod } },
  { expression: "dyn(object.?spec.?replicas.orValue(null))", vars: { object: pod } },
  // quantities (Kubernetes library)
  { expression: "quantity('1Gi').isGreaterThan(quantity('512Mi'))" },
  { expression: "quantity(object.spec.containers[0].resources.limits.memory).asInteger()", vars: { object: pod } },
  { expression: "quantity('500m').asApproximateFloat()" },
  { expression: "isQuantity('12xyz')" },
  // regexes (RE2)
  { expression: "object.spec.containers.all(c, c.image.matches('^[a-z.]+(/[a-z]+)*:[0-9.]+$'))", vars: { object: pod } },
  { expression: "'abc123'.find('[0-9]+')" },
  { expression: "'a1b22c333'.findAll('[0-9]+')" },
  { expression: "'x'.matches('(')" },
  // lists and maps
  { expression: "object.spec.containers.map(c, c.name)", vars: { object: pod } },
  { expression: "object.spec.containers.exists_one(c, c.image.endsWith(':latest'))", vars: { object: pod } },
  { expression: "[3, 1, 2].sort()" },
  { expression: "[1, 2, 3].sum()" },
  { expression: "object.metadata.labels.filter(k, k.startsWith('team'))", vars: { object: pod } },
  { expression: "{'a': 1, 'b': 2}.size()" },
  { expression: "[1, 2.0]" },
  // strings and unicode
  { expression: "'héllo ✓'.size()" },
  { expression: "'héllo'.upperAscii()" },
  { expression: "'a,b,,c'.split(',')" },
  { expression: "' x '.trim() + '|' + 'abc'.substring(1)" },
  { expression: "'😀'.charAt(0)" },
  { expression: "'%s has %d containers'.format([object.metadata.name, object.spec.containers.size()])", vars: { object: pod } },
  // int vs double
  { expression: "object.spec.replicas + 1", vars: { object: pod } },
  { expression: "object.spec.ratio * 2.0", vars: { object: pod } },
  { expression: "object.spec.replicas > 2.5", vars: { object: pod } },
  { expression: "type(object.spec.replicas) == int", vars: { object: pod } },
  { expression: "1 + 1.0" },
  { expression: "7 / 2" },
  // errors
  { expression: "1 / 0" },
  { expression: "object.spec.nothing.x", vars: { object: pod } },
  { expression: "undeclared_var" },
  { expression: "'a' + 1" },
  { expression: "[1, 2][5]" },
  // Kubernetes libraries: url, ip, cidr, semver
  { expression: "url('https://example.com:8443/path?q=1').getPort()" },
  { expression: "ip('10.0.0.1').family()" },
  { expression: "cidr('10.0.0.0/8').containsIP(ip('10.1.2.3'))" },
  { expression: "semver('1.2.3').isLessThan(semver('1.10.0'))" },
];

describe("the CEL bridge: in-process WASI engine vs native build", async () => {
  const runtime = await CelRuntime.get();
  const native = nativeCel(TABLE.map((t) => ({ op: "expr", ...t })));

  it("the native oracle answered every expression", () => {
    expect(native).toHaveLength(TABLE.length);
    expect(native.filter((n) => n.ok).length).toBeGreaterThan(25);
    expect(native.filter((n) => !n.ok).length).toBeGreaterThan(4);
  });

  TABLE.forEach((t, i) => {
    it(t.expression, () => {
      expect(runtime.call({ op: "expr", ...t })).toEqual(native[i]);
    });
  });

  it("known values: optional syntax, quantities, int arithmetic", () => {
    expect(runtime.call({ op: "expr", ...TABLE[0]! })).toEqual({ ok: true, type: "string", value: "none" });
    expect(runtime.call({ op: "expr", ...TABLE[4]! })).toEqual({ ok: true, type: "bool", value: true });
    expect(runtime.call({ op: "expr", ...TABLE[25]! })).toEqual({ ok: true, type: "int", value: 4 });
    expect(runtime.call({ op: "expr", expression: "1 / 0" }).error).toMatchObject({
      code: "evaluation_error",
      message: expect.stringMatching(/division by zero/),
    });
    expect(runtime.call({ op: "expr", expression: "undeclared_var" }).error).toMatchObject({ code: "compile_error" });
    expect(runtime.call({ op: "evaluate", id: "never-compiled", admission: {} as never }).error).toMatchObject({ code: "unknown_policy" });
  });
});
