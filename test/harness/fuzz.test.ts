/**
 * Differential fuzzing in CI (a few hundred cases; `npm run fuzz -- --runs N --seed S` for more),
 * and the counterexamples the fuzzer found, kept as regression cases.
 */
import { describe, expect, it } from "vitest";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { discoverRegoCompiler } from "../../src/engines/opa/compiler.js";
import type { Expr, FieldRef, Policy, Rule } from "../../src/ir/index.js";
import { targetIssues } from "../../src/backends/index.js";
import { BUILTIN_KINDS, type KubeObject } from "../../src/kube/index.js";
import { check, type FuzzContext } from "../fuzz/differential.js";
import { creates } from "../fuzz/generate.js";
import { fuzz } from "../fuzz/run.js";
import { tempDir } from "../support/helpers.js";

const src = { file: "regression.ts", line: 1, column: 1 };
const subject = (...path: string[]): FieldRef => ({ kind: "field", scope: { kind: "subject" }, path, source: src });
const element = (variable: string, ...path: string[]): FieldRef => ({
  kind: "field",
  scope: { kind: "element", variable },
  path,
  source: src,
});
const policy = (rules: Rule[]): Policy => ({
  kind: "policy",
  name: "regression",
  subject: "pod",
  match: { kinds: [BUILTIN_KINDS.Pod], operations: ["CREATE", "UPDATE"] },
  rules,
  enforcement: "enforce",
  instances: [{ values: {}, source: src }],
  targets: { kyverno: { enabled: true }, kubernetes: { enabled: true }, gatekeeper: { enabled: true } },
  source: src,
});
const rule = (assert: Expr, when?: Expr): Rule => ({
  name: "r",
  assert,
  ...(when ? { when } : {}),
  message: { parts: [{ kind: "text", text: "violated" }], source: src },
  source: src,
});
const pod = (spec: unknown) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, spec });
const memoryIs512Mi = (v: string): Expr => ({
  kind: "quantity",
  op: "eq",
  left: element(v, "resources", "limits", "memory"),
  right: { kind: "literal", value: "512Mi", source: src },
  source: src,
});

describe("differential fuzzing", async () => {
  const ctx: FuzzContext = { compiler: await discoverRegoCompiler(), cacheDir: tempDir("policyc-fuzz-"), runtime: await CelRuntime.get() };

  it("regression: a label selector matches an UPDATE whose old object carries the label (the API server and Gatekeeper match either object)", async () => {
    const p: Policy = {
      ...policy([rule({ kind: "count", op: "eq", lists: [subject("spec", "containers")], value: 0, source: src })]),
      match: {
        kinds: [BUILTIN_KINDS.Pod],
        operations: ["CREATE", "UPDATE"],
        labelSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
      },
    };
    const labelled = {
      ...pod({ containers: [{ name: "c", image: "i" }] }),
      metadata: { name: "p", namespace: "x", labels: { app: "web" } },
    };
    const unlabelled = pod({ containers: [{ name: "c", image: "i" }] });
    // The label is removed by the update: the policy still applies (and denies), on every engine.
    expect(await check({ policy: p, requests: [{ operation: "UPDATE", object: unlabelled, oldObject: labelled }] }, ctx)).toBeUndefined();
    const verdicts: Record<string, number> = {};
    await check({ policy: p, requests: [{ operation: "UPDATE", object: unlabelled, oldObject: labelled }] }, { ...ctx, verdicts });
    expect(verdicts).toMatchObject({ deny: 1 });
  });

  it("regression: a lookup in a precondition made a match condition leaves out the object under review, as in the rules (Kyverno's found it)", async () => {
    const sameName: Expr = {
      kind: "not",
      item: {
        kind: "quantifier",
        quantifier: "any",
        lists: [
          {
            kind: "lookup",
            target: BUILTIN_KINDS.Pod,
            namespace: { kind: "field", scope: { kind: "request" }, path: ["namespace"], source: src },
            source: src,
          },
        ],
        variable: "o",
        body: { kind: "compare", op: "eq", left: element("o", "metadata", "name"), right: subject("metadata", "name"), source: src },
        source: src,
      },
      source: src,
    };
    // The rule's when becomes the policy's precondition (a lowering pass), a match condition on the CEL targets.
    const p: Policy = policy([rule({ kind: "const", value: false, source: src }, sameName)]);
    // The cluster holds the object under review itself (another version of it): no engine counts it.
    const object = { apiVersion: "v1", kind: "Pod", metadata: { name: "db", namespace: "kube-system" }, spec: {} };
    const cluster = [{ ...object, spec: { containers: [] } }] as KubeObject[];
    const verdicts: Record<string, number> = {};
    expect(await check({ policy: p, requests: creates(object), cluster }, { ...ctx, verdicts })).toBeUndefined();
    expect(verdicts).toMatchObject({ deny: 1 });
  });

  it("regression: a null list is empty on every engine (CEL errored on size(null))", async () => {
    const p = policy([rule({ kind: "count", op: "eq", lists: [subject("spec", "containers")], value: 0, source: src })]);
    expect(
      await check({ policy: p, requests: creates(pod({ containers: null }), pod({}), pod({ containers: [{}] })) }, ctx),
    ).toBeUndefined();
  });

  it("regression: a negated call on a missing field is true in Rego too (OPA evaluates call arguments outside not)", async () => {
    const all: Expr = {
      kind: "quantifier",
      quantifier: "all",
      lists: [subject("spec", "initContainers")],
      variable: "c",
      body: memoryIs512Mi("c"),
      source: src,
    };
    const p = policy([rule({ kind: "exists", field: subject("spec", "priority"), source: src }, all)]);
    expect(
      await check(
        {
          policy: p,
          requests: creates(pod({ initContainers: [{}] }), pod({ initContainers: [{ resources: { limits: { memory: "512Mi" } } }] })),
        },
        ctx,
      ),
    ).toBeUndefined();
  });

  it("regression: two quantifiers over the same variable name in one rule (Rego: var declared above)", async () => {
    const any = (): Expr => ({
      kind: "quantifier",
      quantifier: "any",
      lists: [subject("spec", "containers")],
      variable: "c2",
      body: memoryIs512Mi("c2"),
      source: src,
    });
    const p = policy([rule({ kind: "not", item: { kind: "and", items: [any(), any()], source: src }, source: src })]);
    expect(
      await check(
        { policy: p, requests: creates(pod({ containers: [{ resources: { limits: { memory: "512Mi" } } }] }), pod({ containers: [] })) },
        ctx,
      ),
    ).toBeUndefined();
  });

  it("regression: a function clause that does not read the subject names it _ (OPA refuses unused arguments)", async () => {
    const groups: FieldRef = { kind: "field", scope: { kind: "request" }, path: ["userInfo", "groups"], source: src };
    const admins: Expr = {
      kind: "quantifier",
      quantifier: "any",
      lists: [groups],
      variable: "g",
      body: { kind: "compare", op: "eq", left: element("g"), right: { kind: "literal", value: "admins", source: src }, source: src },
      source: src,
    };
    const empty: Expr = { kind: "count", op: "eq", lists: [subject("spec", "containers")], value: 0, source: src };
    const p = policy([rule({ kind: "not", item: { kind: "or", items: [admins, empty], source: src }, source: src })]);
    expect(
      await check({ policy: p, requests: creates(pod({ containers: [] }), pod({ containers: [{ name: "a" }] })) }, ctx),
    ).toBeUndefined();
  });

  it("regression: request fields the API server leaves out (a user without groups, an empty username) read as their zero values everywhere", async () => {
    const username: FieldRef = { kind: "field", scope: { kind: "request" }, path: ["userInfo", "username"], source: src };
    const groups: FieldRef = { kind: "field", scope: { kind: "request" }, path: ["userInfo", "groups"], source: src };
    const p = policy(
      [
        rule({ kind: "string", op: "matches", value: username, arg: { kind: "literal", value: "^$", source: src }, source: src }),
        rule({ kind: "count", op: "gt", lists: [groups], value: 0, source: src }),
        rule({ kind: "exists", field: username, source: src }),
      ].map((r, i) => ({ ...r, name: `r${i}` })),
    );
    const object = pod({ containers: [] }) as KubeObject;
    const requests = [
      { operation: "CREATE" as const, object, userInfo: { username: "" } },
      { operation: "CREATE" as const, object, userInfo: { username: "alice", groups: [] } },
      { operation: "CREATE" as const, object, userInfo: { username: "alice", groups: ["dev"] } },
    ];
    expect(await check({ policy: p, requests }, ctx)).toBeUndefined();
  });

  it("regression: a precondition's namespace label test whose key is not a label key is a located error for the CEL targets (the API server refuses the selector)", () => {
    const p: Policy = {
      ...policy([rule({ kind: "const", value: true, source: src })]),
      when: {
        kind: "exists",
        field: {
          kind: "field",
          scope: { kind: "namespace" },
          path: ["metadata", "labels", { kind: "key", key: { kind: "param", path: ["key"], source: src } }],
          source: src,
        },
        source: { file: "p.ts", line: 7, column: 9 },
      },
      params: { type: "object", properties: { key: { type: "string" } } },
      instances: [{ values: { key: 'a"b' }, source: src }],
    };
    const issues = targetIssues(p, ["kyverno", "kubernetes", "gatekeeper"]);
    expect(issues.map((i) => [i.code, i.source?.line, i.message.slice(0, 8)])).toEqual([
      ["unsupported_by_target", 7, "kyverno:"],
      ["unsupported_by_target", 7, "kubernet"],
    ]);
    expect(issues[0]!.message).toContain('"a\\"b" is not a valid label key');
  });

  it("random policies and fixtures: every engine agrees (CI sample)", async () => {
    const r = await fuzz(100, 20261123);
    expect(r.failure, JSON.stringify(r.failure, null, 2)).toBeUndefined();
    expect(r.runs).toBe(100);
  }, 600_000);
});
