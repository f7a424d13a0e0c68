/* eslint-disable @typescript-eslint/no-explicit-any -- rules written without the type checker, as JavaScript users write them */
/**
 * Field names are checked when rules are built, without a TypeScript type-check: the SDK's
 * references consult a field table generated from kubernetes-models' types. A misspelled
 * field, parameter or list item field is an `unknown_field` issue located at the call.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateFieldTable } from "../../src/sdk/field-table/generate.mjs";
import { BUILTIN_KINDS, apiVersionOf } from "../../src/kube/index.js";
import { KIND_TYPES } from "../../src/sdk/field-table.generated.js";
import { and, ClusterRole, customKind, definePolicy, Deployment, Pod, Role, z } from "../../src/index.js";
import { ROOT } from "../support/helpers.js";

/** The issues of a policy whose rule is written without the type checker (as JavaScript users do). */
const issuesOf = (spec: Record<string, unknown>) =>
  definePolicy({ name: "p", match: { kinds: [Pod] }, ...spec } as never).issues.map((i) => ({
    code: i.code,
    message: i.message,
    line: i.source?.line,
  }));

describe("the generated field table", () => {
  it("is current: regenerating it from kubernetes-models changes nothing (npm run build:fields)", () => {
    const committed = readFileSync(path.join(ROOT, "src", "sdk", "field-table.generated.ts"), "utf8");
    expect(generateFieldTable()).toBe(committed);
  });

  it("covers exactly the kinds the SDK exports", () => {
    expect(Object.keys(KIND_TYPES).sort()).toEqual(
      Object.values(BUILTIN_KINDS)
        .map((k) => `${apiVersionOf(k)}/${k.kind}`)
        .sort(),
    );
  });
});

describe("misspelled fields never build", () => {
  it("names the field, the type and a suggestion (test/errors.test.ts checks the line and column)", () => {
    const issues = issuesOf({ validate: (pod: any) => pod.spec.hostNetwrk.notEquals(true) });
    expect(issues).toEqual([
      {
        code: "unknown_field",
        message: expect.stringMatching(/^object\.spec\.hostNetwrk: PodSpec has no field "hostNetwrk"; did you mean "hostNetwork"\?/),
        line: expect.any(Number),
      },
    ]);
  });

  it("checks the fields of list items, of every container list, and of the old object", () => {
    const cases: [string, (pod: any, p: any, ctx: any) => unknown, RegExp][] = [
      [
        "item",
        (pod) => pod.spec.containers.every((c: any) => c.imagePullPolcy.equals("Always")),
        /container\.imagePullPolcy: Container has no field "imagePullPolcy"; did you mean "imagePullPolicy"/,
      ],
      [
        "allContainers",
        (pod) => pod.spec.allContainers.every((c: any) => c.securityContxt.exists()),
        /EphemeralContainer has no field "securityContxt"; did you mean "securityContext"/,
      ],
      [
        "old",
        (_pod, _p, ctx) => ctx.old.metadata.lables.at("a").exists(),
        /old\.metadata\.lables: ObjectMeta has no field "lables"; did you mean "labels"/,
      ],
      [
        "namespace",
        (_pod, _p, ctx) => ctx.namespaceObject.metadata.label.at("a").exists(),
        /namespaceObject\.metadata\.label: ObjectMeta has no field "label"; did you mean "labels"/,
      ],
      [
        "request",
        (_pod, _p, ctx) => ctx.userInfo.groups.some((g: any) => g.name.equals("x")),
        /is a string: it has no field or operator "name"/,
      ],
      [
        "list as object",
        (pod) => pod.spec.containers.image.startsWith("x"),
        /object\.spec\.containers is a list of Container: it has no field "image"; read its items with every\(\), some\(\) or none\(\)/,
      ],
      [
        "scalar as object",
        (pod) => pod.spec.hostNetwork.value.equals(true),
        /object\.spec\.hostNetwork is a boolean: it has no field or operator "value"/,
      ],
      ["operator of another type", (pod) => pod.spec.hostNetwork.startsWith("t"), /is a boolean: it has no field or operator "startsWith"/],
    ];
    for (const [name, assert, message] of cases) {
      const issues = issuesOf({ validate: assert });
      expect(
        issues.map((i) => i.code),
        name,
      ).toEqual(["unknown_field"]);
      expect(issues[0]!.message, name).toMatch(message);
    }
  });

  it("reads any key of a map, and any field through the explicit unchecked() escape", () => {
    expect(
      issuesOf({
        validate: (pod: any) =>
          and(
            pod.metadata.labels["app.kubernetes.io/name"].exists(),
            pod.metadata.annotations.contains.exists(), // a key named like an operator is a key of a map
            pod.spec.unchecked("futureField").someDeeper.isTrue(),
            pod.spec.containers.every((c: any) => c.resources.limits.at("cpu").quantity().lte("2")),
          ),
      }),
    ).toEqual([]);
  });

  it("checks the fields of every kind a policy matches, and of each kind separately", () => {
    const roles = (assert: (r: any) => unknown) =>
      definePolicy({ name: "r", match: { kinds: [Role, ClusterRole] }, validate: assert as never }).issues.map((i) => i.message);
    expect(roles((r) => r.rules.every((x: any) => x.verbz.exists()))[0]).toMatch(/PolicyRule has no field "verbz"; did you mean "verbs"/);
    expect(roles((r) => r.aggregationRule.exists())).toEqual([]); // a ClusterRole field
    expect(roles((r) => r.rulez.exists())[0]).toMatch(/Role or ClusterRole has no field "rulez"; did you mean "rules"/);
    const deployments = definePolicy({
      name: "d",
      match: { kinds: [Deployment] },
      validate: ((d: any) => d.spec.template.spec.containers.every((c: any) => c.imagee.exists())) as never,
    });
    expect(deployments.issues[0]!.message).toMatch(/Container has no field "imagee"; did you mean "image"/);
  });

  it("checks parameters against their schema, list items included", () => {
    const params = z.object({
      registries: z.array(z.string()).default(["r/"]),
      required: z.array(z.object({ key: z.string(), pattern: z.string() })).default([]),
    });
    const build = (assert: (pod: any, p: any) => unknown) =>
      definePolicy({ name: "p", match: { kinds: [Pod] }, params, validate: assert as never }).issues.map((i) => i.message);
    expect(build((pod, p) => pod.spec.containers.every((c: any) => c.image.startsWith(p.registries)))).toEqual([]);
    expect(build((pod, p) => pod.spec.containers.every((c: any) => c.image.startsWith(p.registires)))[0]).toMatch(
      /params has no parameter "registires"; did you mean "registries"\?/,
    );
    expect(build((pod, p) => p.required.every((r: any) => pod.metadata.labels.at(r.kee).exists()))[0]).toMatch(
      /has no field "kee"; did you mean "key"/,
    );
    expect(build((pod, p) => p.required.every((r: any) => pod.metadata.labels.at(r.key).matches(r.pattern)))).toEqual([]);
  });
});

describe("custom kinds declare their fields or opt out", () => {
  it("checks a custom kind's fields against its zod schema, with the standard metadata", () => {
    const Widget = customKind({
      apiVersion: "example.com/v1",
      kind: "Widget",
      schema: z.object({ spec: z.object({ size: z.number(), count: z.number().optional() }) }),
    });
    const build = (assert: (w: any) => unknown) =>
      definePolicy({ name: "w", match: { kinds: [Widget] }, validate: assert as never }).issues.map((i) => i.message);
    expect(build((w) => and(w.spec.size.lte(3), w.metadata.labels.at("a").exists(), w.spec.count.gt(1)))).toEqual([]);
    expect(build((w) => w.spec.sise.lte(3))[0]).toMatch(/Widget\.spec has no field "sise"; did you mean "size"/);
  });

  it("reads anything of a kind declared unchecked, and refuses a kind declaring neither", () => {
    const Gadget = customKind({ apiVersion: "example.com/v1", kind: "Gadget", unchecked: true });
    expect(definePolicy({ name: "g", match: { kinds: [Gadget] }, validate: (g: any) => g.spec.anything.exists() }).issues).toEqual([]);
    expect(() => customKind({ apiVersion: "example.com/v1", kind: "Gadget" } as never)).toThrow(
      /give its schema .* or declare it unchecked: true/,
    );
  });
});
