/** The Gatekeeper engine: input shape, Constraint match, compile errors, cache, evaluation errors. */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { constraintMatches, GatekeeperEngine, readTemplate, type ConstraintMatch } from "../../src/engines/gatekeeper/index.js";
import { compileWithCache, discoverRegoCompiler } from "../../src/engines/opa/index.js";
import type { Verdict } from "../../src/engines/verdict/index.js";
import type { AdmissionRequest, KubeObject } from "../../src/kube/index.js";
import { tempDir } from "../support/helpers.js";

const template = (name: string, rego: string, libs: string[] = []): KubeObject => ({
  apiVersion: "templates.gatekeeper.sh/v1",
  kind: "ConstraintTemplate",
  metadata: { name },
  spec: { crd: { spec: { names: { kind: name } } }, targets: [{ target: "admission.k8s.gatekeeper.sh", rego, libs }] },
});
const constraint = (kind: string, spec: Record<string, unknown> = {}, name = "c"): KubeObject => ({
  apiVersion: "constraints.gatekeeper.sh/v1beta1",
  kind,
  metadata: { name },
  spec,
});

/** One document set of the engine, with a constraint per template kind, named after the kind. */
const set = (
  templates: KubeObject[],
  constraints: KubeObject[] = templates.map((t) => constraint(t.metadata!.name!, {}, t.metadata!.name!)),
) => ({
  id: "test",
  documents: [...templates, ...constraints],
});

const violationsOf = (v: Verdict) => {
  if (v.kind !== "deny" && v.kind !== "allow") throw new Error(JSON.stringify(v));
  return v.kind === "deny" ? v.violations : [];
};

const pod = (labels: Record<string, string> = {}, namespace = "shop"): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace, labels },
  spec: { containers: [{ name: "web", image: "nginx" }] },
});

describe("input as Gatekeeper builds it", async () => {
  const compiler = await discoverRegoCompiler();
  const echo = template("Echo", 'package echo\n\nviolation[{"msg": "input", "details": input}] {\n  true\n}\n');
  const { engine, problems } = await GatekeeperEngine.prepare(
    [set([echo], [constraint("Echo", { parameters: { n: 1 } }, "with-params"), constraint("Echo", {}, "without")])],
    { compiler, cacheDir: undefined },
  );
  const details = (req: AdmissionRequest, audit = false, name = "with-params") =>
    violationsOf(engine.evaluate({ set: "test", policy: name, admission: req }, { audit }))[0]!.details as {
      review: Record<string, unknown>;
      parameters: unknown;
    };

  it("compiles", () => expect(problems).toEqual([]));

  it("an admission request: kind, name, namespace, operation, userInfo, object, oldObject; parameters", () => {
    const old = pod({ v: "1" });
    const d = details({ operation: "UPDATE", object: pod({ v: "2" }), oldObject: old, userInfo: { username: "alice", groups: ["dev"] } });
    expect(d.parameters).toEqual({ n: 1 });
    expect(d.review).toMatchObject({
      kind: { group: "", version: "v1", kind: "Pod" },
      name: "web",
      namespace: "shop",
      operation: "UPDATE",
      userInfo: { username: "alice", groups: ["dev"] },
      object: { metadata: { labels: { v: "2" } } },
      oldObject: { metadata: { labels: { v: "1" } } },
    });
  });

  it("a group/version kind splits apiVersion", () => {
    const d = details({
      operation: "CREATE",
      object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "x" } },
    });
    expect(d.review.kind).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
  });

  it("an audit review carries no operation or userInfo", () => {
    const d = details({ operation: "CREATE", object: pod() }, true);
    expect(d.review).not.toHaveProperty("operation");
    expect(d.review).not.toHaveProperty("userInfo");
    expect(d.review.object).toEqual(pod());
  });

  it("parameters default to an empty object", () => {
    expect(details({ operation: "CREATE", object: pod() }, false, "without").parameters).toEqual({});
  });
});

/** A template's Rego that denies a Pod when another Pod in the inventory has its app label, or its namespace is labelled frozen. */
const inventoryRego = (pkg: string) => `package ${pkg}

violation[{"msg": "app taken"}] {
  other := data.inventory.namespace[_][_]["Pod"][name]
  name != input.review.object.metadata.name
  other.metadata.labels.app == input.review.object.metadata.labels.app
}

violation[{"msg": "frozen"}] {
  data.inventory.cluster["v1"]["Namespace"][input.review.object.metadata.namespace].metadata.labels.frozen == "yes"
}
`;

describe("data.inventory follows each request's cluster", async () => {
  const compiler = await discoverRegoCompiler();
  const rego = inventoryRego("uniqueapp");
  const { engine, problems } = await GatekeeperEngine.prepare([set([template("UniqueApp", rego)])], { compiler, cacheDir: undefined });
  const other = { ...pod({ app: "web" }), metadata: { name: "other", namespace: "shop", labels: { app: "web" } } };
  const ns = (labels: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels } });
  const verdict = (cluster: AdmissionRequest["cluster"]) =>
    engine.evaluate({
      set: "test",
      policy: "UniqueApp",
      admission: { operation: "CREATE", object: pod({ app: "web" }), ...(cluster ? { cluster } : {}) },
    });

  it("compiles", () => expect(problems).toEqual([]));

  it("clusters that differ give different answers, whichever came before; equal content in new objects gives the same", () => {
    const sequence: [AdmissionRequest["cluster"], string[]][] = [
      [{ objects: [other] }, ["app taken"]],
      [{ objects: [] }, []],
      [{ objects: [other] }, ["app taken"]],
      [{ objects: [JSON.parse(JSON.stringify(other)) as KubeObject] }, ["app taken"]],
      [undefined, []],
      [{ namespaces: { shop: ns({ frozen: "yes" }) } }, ["frozen"]],
      [{ namespaces: { shop: ns({ frozen: "no" }) } }, []],
      [{ namespaces: { shop: ns({ frozen: "yes" }) }, objects: [other] }, ["app taken", "frozen"]],
    ];
    for (const [cluster, messages] of sequence) expect(violationsOf(verdict(cluster)).map((v) => v.message)).toEqual(messages);
  });
});

describe("data.inventory holds the synced kinds of a template that names them", async () => {
  const compiler = await discoverRegoCompiler();
  const rego = inventoryRego("syncedapp");
  // What policyc compiles beside its own templates: the review module, with the kinds its Config syncs.
  const review = (synced?: { group: string; version: string; kind: string }[]) => ({
    template: "SyncedApp",
    module: 'package review.syncedapp\n\nreview := {"violations": [v | v := data.syncedapp.violation[_]]}\n',
    entrypoint: "review/syncedapp/review",
    ...(synced ? { synced } : {}),
  });
  const verdictWith = async (synced?: { group: string; version: string; kind: string }[]) => {
    const { engine, problems } = await GatekeeperEngine.prepare([{ ...set([template("SyncedApp", rego)]), reviews: [review(synced)] }], {
      compiler,
      cacheDir: undefined,
    });
    expect(problems).toEqual([]);
    const other = { ...pod({ app: "web" }), metadata: { name: "other", namespace: "shop", labels: { app: "web" } } };
    const shop: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { frozen: "yes" } } };
    const cluster = { objects: [other], namespaces: { shop } };
    const v = engine.evaluate({
      set: "test",
      policy: "SyncedApp",
      admission: { operation: "CREATE", object: pod({ app: "web" }), cluster },
    });
    return violationsOf(v)
      .map((x) => x.message)
      .sort();
  };

  it("Namespaces alone synced: the Pods of the cluster are not in the inventory, as in a cluster whose Config syncs only Namespaces", async () => {
    expect(await verdictWith([{ group: "", version: "v1", kind: "Namespace" }])).toEqual(["frozen"]);
  });

  it("Pods and Namespaces synced, or no list given: every object the template reads is there", async () => {
    const both = [
      { group: "", version: "v1", kind: "Namespace" },
      { group: "", version: "v1", kind: "Pod" },
    ];
    expect(await verdictWith(both)).toEqual(["app taken", "frozen"]);
    expect(await verdictWith()).toEqual(["app taken", "frozen"]);
  });
});

describe("Constraint match", () => {
  const req = (o: KubeObject, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({ operation: "CREATE", object: o, ...extra });
  const m = (match: ConstraintMatch, r: AdmissionRequest) => constraintMatches(match, r).matched;

  it("kinds: any entry, with * for groups and kinds; empty matches everything", () => {
    expect(m({ kinds: [{ apiGroups: [""], kinds: ["Pod"] }] }, req(pod()))).toBe(true);
    expect(m({ kinds: [{ apiGroups: ["apps"], kinds: ["Pod"] }] }, req(pod()))).toBe(false);
    expect(m({ kinds: [{ apiGroups: ["*"], kinds: ["Pod"] }] }, req(pod()))).toBe(true);
    expect(
      m(
        {
          kinds: [
            { apiGroups: ["apps"], kinds: ["Deployment"] },
            { apiGroups: [""], kinds: ["*"] },
          ],
        },
        req(pod()),
      ),
    ).toBe(true);
    expect(m({}, req(pod()))).toBe(true);
  });

  it("namespaces and excludedNamespaces take prefix and suffix globs", () => {
    expect(m({ namespaces: ["sho*"] }, req(pod()))).toBe(true);
    expect(m({ namespaces: ["*-system"] }, req(pod()))).toBe(false);
    expect(m({ namespaces: ["*-system"] }, req(pod({}, "kube-system")))).toBe(true);
    expect(m({ excludedNamespaces: ["kube-*"] }, req(pod({}, "kube-system")))).toBe(false);
    expect(m({ excludedNamespaces: ["shop"] }, req(pod()))).toBe(false);
  });

  it("a Namespace object is matched by its own name; other cluster-scoped objects ignore namespace criteria", () => {
    const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-public" } };
    expect(m({ excludedNamespaces: ["kube-*"] }, req(ns))).toBe(false);
    const cr: KubeObject = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } };
    expect(m({ namespaces: ["shop"] }, req(cr))).toBe(true);
  });

  it("scope", () => {
    const cr: KubeObject = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } };
    expect(m({ scope: "Cluster" }, req(cr))).toBe(true);
    expect(m({ scope: "Namespaced" }, req(cr))).toBe(false);
    expect(m({ scope: "Namespaced" }, req(pod()))).toBe(true);
  });

  it("labelSelector reads the object, the old object on DELETE", () => {
    const sel: ConstraintMatch = { labelSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] } };
    expect(m(sel, req(pod({ tier: "web" })))).toBe(true);
    expect(m(sel, req(pod({ tier: "db" })))).toBe(false);
    expect(m(sel, { operation: "DELETE", oldObject: pod({ tier: "web" }) })).toBe(true);
  });

  it("namespaceSelector reads the namespace objects given, plus kubernetes.io/metadata.name", () => {
    const sel: ConstraintMatch = { namespaceSelector: { matchLabels: { env: "prod" } } };
    const prod: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { env: "prod" } } };
    expect(m(sel, req(pod(), { cluster: { namespaces: { shop: prod } } }))).toBe(true);
    expect(m(sel, req(pod()))).toBe(false);
    expect(m({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }, req(pod()))).toBe(true);
  });

  it("name takes a glob", () => {
    expect(m({ name: "we*" }, req(pod()))).toBe(true);
    expect(m({ name: "db" }, req(pod()))).toBe(false);
  });
});

describe("compiling templates", async () => {
  const compiler = await discoverRegoCompiler();

  it("a template that does not compile is reported with its name and the Rego line", async () => {
    const bad = template("Bad", 'package bad\n\nviolation[{"msg": msg}] {\n  msg := concat(", ", input.x\n}\n');
    const { problems } = await GatekeeperEngine.prepare([set([bad])], { compiler, cacheDir: undefined });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: "compile_error", document: 0, field: ["spec", "targets", 0, "rego"], position: { row: 5 } });
    expect(problems[0]!.message).toMatch(/ConstraintTemplate Bad: rego_parse_error/);
  });

  it("each template compiles with its own libs: two templates' lib packages never collide", async () => {
    const a = template("A", 'package a\nimport data.lib.util\nviolation[{"msg": util.name}] { true }\n', [
      'package lib.util\nname = "from A"\n',
    ]);
    const b = template("B", 'package b\nimport data.lib.util\nviolation[{"msg": util.name}] { true }\n', [
      'package lib.util\nname = "from B"\n',
    ]);
    const { engine, problems } = await GatekeeperEngine.prepare([set([a, b])], { compiler, cacheDir: undefined });
    expect(problems).toEqual([]);
    const msg = (kind: string) =>
      violationsOf(engine.evaluate({ set: "test", policy: kind, admission: { operation: "CREATE", object: pod() } })).map((v) => v.message);
    expect(msg("A")).toEqual(["from A"]);
    expect(msg("B")).toEqual(["from B"]);
  });

  it("Rego v0 by default, v1 when the template's code says so", async () => {
    const v1: KubeObject = {
      ...template("V1", ""),
      spec: {
        crd: { spec: { names: { kind: "V1" } } },
        targets: [
          {
            target: "admission.k8s.gatekeeper.sh",
            code: [{ engine: "Rego", source: { version: "v1", rego: 'package v1t\nviolation contains {"msg": "v1"} if true\n' } }],
          },
        ],
      },
    };
    const t = readTemplate(v1);
    expect(t.ok && t.template.regoVersion).toBe(1);
    const { problems } = await GatekeeperEngine.prepare([set([v1])], { compiler, cacheDir: undefined });
    expect(problems).toEqual([]);
    const v0 = template("V0", 'package v0t\nviolation contains {"msg": "v1"} if true\n');
    const r = await GatekeeperEngine.prepare([set([v0])], { compiler, cacheDir: undefined });
    expect(r.problems).toHaveLength(1);
  });

  it("the content-hash cache: a second compile of the same units compiles nothing; a changed unit compiles alone", async () => {
    const dir = tempDir("policyc-wasm-cache-");
    const unit = (msg: string) => ({
      modules: [{ path: "m.rego", source: `package m\nviolation contains {"msg": "${msg}"} if true\n` }],
      entrypoints: ["m/violation"],
      regoVersion: 1 as const,
      strict: true,
    });
    const first = await compileWithCache(compiler, [unit("a"), unit("b")], dir);
    expect(first.stats).toEqual({ compiled: 2, cached: 0 });
    const second = await compileWithCache(compiler, [unit("a"), unit("b")], dir);
    expect(second.stats).toEqual({ compiled: 0, cached: 2 });
    const third = await compileWithCache(compiler, [unit("a"), unit("c")], dir);
    expect(third.stats).toEqual({ compiled: 1, cached: 1 });
  });

  it("identical units in one call compile once and share the module (the fuzzer found two writers racing on one cache entry)", async () => {
    const dir = tempDir("policyc-wasm-cache-");
    const unit = {
      modules: [{ path: "m.rego", source: 'package m\nviolation contains {"msg": "same"} if true\n' }],
      entrypoints: ["m/violation"],
      regoVersion: 1 as const,
      strict: true,
    };
    const r = await compileWithCache(compiler, [unit, { ...unit }, unit], dir);
    expect(r.stats).toEqual({ compiled: 1, cached: 0 });
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe("evaluation errors", async () => {
  it("a conflict inside the Rego is an error result, not a pass", async () => {
    const compiler = await discoverRegoCompiler();
    const t = template("Conflict", 'package conflict\nx = 1 { true }\nx = 2 { true }\nviolation[{"msg": sprintf("%v", [x])}] { true }\n');
    const { engine } = await GatekeeperEngine.prepare([set([t])], { compiler, cacheDir: undefined });
    const r = engine.evaluate({ set: "test", policy: "Conflict", admission: { operation: "CREATE", object: pod() } });
    expect(r).toMatchObject({ kind: "error", cause: { code: "evaluation_error" } });
  });
});

describe("the Rego policyc generates", () => {
  it("every golden template compiles with OPA's compiler in strict mode, as Rego v0 (Gatekeeper's default) and v1", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const path = await import("node:path");
    const golden = path.join(import.meta.dirname, "..", "golden");
    const compiler = await discoverRegoCompiler();
    const units = readdirSync(golden)
      .sort()
      .flatMap((name) => {
        const source = readFileSync(path.join(golden, name, "template.rego"), "utf8");
        const pkg = /^package (\w+)/m.exec(source)![1]!;
        return ([0, 1] as const).map((regoVersion) => ({
          modules: [{ path: `${name}.rego`, source }],
          entrypoints: [`${pkg}/violation`, `${pkg}/applies`],
          regoVersion,
          strict: true,
        }));
      });
    const results = await compiler.compile(units);
    expect(results.map((r) => (r.ok ? "ok" : r.problems))).toEqual(units.map(() => "ok"));
  });
});
