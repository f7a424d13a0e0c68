/**
 * ValidatingAdmissionPolicy semantics on the CEL engine (the API server's own validator and
 * matcher), from the Kubernetes documentation "Validating Admission Policy".
 */
import { describe, expect, it } from "vitest";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { KubernetesEngine } from "../../src/engines/kubernetes/index.js";
import { KyvernoEngine } from "../../src/engines/kyverno/index.js";
import type { AdmissionRequest, KubeObject } from "../../src/kube/index.js";
import { oneSet } from "../../src/engines/verdict/index.js";

const vap = (spec: Record<string, unknown>, name = "p"): KubeObject => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingAdmissionPolicy",
  metadata: { name },
  spec,
});
const binding = (spec: Record<string, unknown> = {}, name = "p"): KubeObject => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingAdmissionPolicyBinding",
  metadata: { name },
  spec: { policyName: name, validationActions: ["Deny"], ...spec },
});
const deployments = {
  resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["deployments"] }],
};
const deployment = (replicas: number, labels: Record<string, string> = {}, namespace = "shop"): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace, labels },
  spec: { replicas },
});
const create = (o: KubeObject, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({ operation: "CREATE", object: o, ...extra });

describe("ValidatingAdmissionPolicy on the CEL engine", async () => {
  const runtime = await CelRuntime.get();
  /** The `kubernetes` engine prepared with one policy and its bindings. */
  const prepare = (spec: Record<string, unknown>, b: KubeObject[] = [binding()]) =>
    KubernetesEngine.prepare(oneSet([vap(spec), ...b]), { runtime });
  const compile = (spec: Record<string, unknown>, b: KubeObject[] = [binding()]) => {
    const { engine, problems } = prepare(spec, b);
    if (problems.length) throw new Error(JSON.stringify(problems));
    return { evaluate: (req: AdmissionRequest) => engine.evaluate({ policy: "p", admission: req }) };
  };

  it("validations with message and messageExpression; admit when they hold", () => {
    const p = compile({
      matchConstraints: deployments,
      validations: [{ expression: "object.spec.replicas <= 5", messageExpression: "'too many replicas: ' + string(object.spec.replicas)" }],
    });
    expect(p.evaluate(create(deployment(3)))).toMatchObject({ kind: "allow" });
    expect(p.evaluate(create(deployment(7)))).toMatchObject({
      kind: "deny",
      violations: [{ message: "too many replicas: 7" }],
      actions: ["Deny"],
    });
  });

  it("matchConstraints: resource rules, excludeResourceRules, objectSelector; other kinds are not matched", () => {
    const p = compile({
      matchConstraints: { ...deployments, objectSelector: { matchExpressions: [{ key: "skip", operator: "DoesNotExist" }] } },
      validations: [{ expression: "false", message: "no" }],
    });
    expect(p.evaluate(create(deployment(1))).kind).toBe("deny");
    expect(p.evaluate(create(deployment(1, { skip: "yes" }))).kind).toBe("skip");
    expect(p.evaluate(create({ apiVersion: "v1", kind: "Pod", metadata: { name: "x", namespace: "shop" } })).kind).toBe("skip");
  });

  it("namespaceSelector reads the namespace objects; namespaceObject is visible to expressions", () => {
    const p = compile({
      matchConstraints: { ...deployments, namespaceSelector: { matchLabels: { env: "prod" } } },
      validations: [
        { expression: "namespaceObject.metadata.labels.env == 'prod' && object.spec.replicas >= 2", message: "prod needs 2 replicas" },
      ],
    });
    const prod: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { env: "prod" } } };
    expect(p.evaluate(create(deployment(1), { cluster: { namespaces: { shop: prod } } }))).toMatchObject({
      kind: "deny",
      violations: [{ message: "prod needs 2 replicas" }],
    });
    expect(p.evaluate(create(deployment(3), { cluster: { namespaces: { shop: prod } } })).kind).toBe("allow");
    expect(p.evaluate(create(deployment(1))).kind).toBe("skip");
  });

  it("namespaceObject read only by a variable or a message expression is still there", () => {
    const prod: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { env: "prod", team: "a" } } };
    const inProd = (spec: Record<string, unknown>, replicas: number) =>
      compile({ matchConstraints: deployments, ...spec }).evaluate(
        create(deployment(replicas), { cluster: { namespaces: { shop: prod } } }),
      );
    expect(
      inProd(
        {
          variables: [{ name: "env", expression: "namespaceObject.metadata.labels.env" }],
          validations: [{ expression: "variables.env != 'prod'", message: "no" }],
        },
        1,
      ).kind,
    ).toBe("deny");
    expect(
      inProd({ validations: [{ expression: "false", messageExpression: "'team ' + namespaceObject.metadata.labels.team" }] }, 1),
    ).toMatchObject({ kind: "deny", violations: [{ message: "team a" }] });
  });

  it("matchConditions false: the policy does not apply", () => {
    const p = compile({
      matchConstraints: deployments,
      matchConditions: [{ name: "not-system", expression: "!request.userInfo.username.startsWith('system:')" }],
      validations: [{ expression: "false", message: "no" }],
    });
    expect(p.evaluate(create(deployment(1), { userInfo: { username: "system:serviceaccount:kube-system:x" } })).kind).toBe("skip");
    expect(p.evaluate(create(deployment(1), { userInfo: { username: "alice" } })).kind).toBe("deny");
  });

  it("variables, oldObject on UPDATE, request.operation", () => {
    const p = compile({
      matchConstraints: deployments,
      variables: [{ name: "grew", expression: "request.operation == 'UPDATE' && object.spec.replicas > oldObject.spec.replicas" }],
      validations: [{ expression: "!variables.grew", message: "scaling up is reviewed" }],
    });
    expect(p.evaluate({ operation: "UPDATE", object: deployment(4), oldObject: deployment(2) }).kind).toBe("deny");
    expect(p.evaluate({ operation: "UPDATE", object: deployment(1), oldObject: deployment(2) }).kind).toBe("allow");
    expect(p.evaluate(create(deployment(9))).kind).toBe("allow");
  });

  it("failurePolicy: an evaluation error is reported as an error under Fail; Ignore admits", () => {
    const spec = { matchConstraints: deployments, validations: [{ expression: "object.spec.missing.field == 1", message: "x" }] };
    expect(compile({ ...spec, failurePolicy: "Fail" }).evaluate(create(deployment(1))).kind).toBe("error");
    expect(compile({ ...spec, failurePolicy: "Ignore" }).evaluate(create(deployment(1))).kind).toBe("allow");
  });

  it("authorizer answers come from the case; a check nobody answers is not allowed", () => {
    const p = compile({
      matchConstraints: deployments,
      validations: [
        {
          expression: "authorizer.group('apps').resource('deployments').namespace(object.metadata.namespace).check('scale').allowed()",
          message: "may not scale",
        },
      ],
    });
    expect(p.evaluate(create(deployment(1))).kind).toBe("deny");
    expect(
      p.evaluate(create(deployment(1), { authorizer: [{ group: "apps", resource: "deployments", verb: "scale", allowed: true }] })).kind,
    ).toBe("allow");
  });

  it("binding validationActions and matchResources; params by paramRef", () => {
    const spec = {
      matchConstraints: deployments,
      paramKind: { apiVersion: "v1", kind: "ConfigMap" },
      validations: [{ expression: "object.spec.replicas <= int(params.data.max)", messageExpression: "'max ' + params.data.max" }],
    };
    const limits: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "limits", namespace: "shop" }, data: { max: "2" } };
    const p = compile(spec, [
      binding({ validationActions: ["Warn", "Audit"], paramRef: { name: "limits", parameterNotFoundAction: "Deny" } }),
    ]);
    expect(p.evaluate(create(deployment(3), { cluster: { objects: [limits] } }))).toMatchObject({
      kind: "deny",
      violations: [{ message: "max 2" }],
      actions: ["Warn", "Audit"],
    });
    expect(p.evaluate(create(deployment(1), { cluster: { objects: [limits] } })).kind).toBe("allow");
    // No params object: parameterNotFoundAction Deny is a configuration error under failurePolicy Fail.
    expect(p.evaluate(create(deployment(1))).kind).toBe("error");
    const scoped = compile({ matchConstraints: deployments, validations: [{ expression: "false", message: "no" }] }, [
      binding({ matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "other" } } } }),
    ]);
    expect(scoped.evaluate(create(deployment(1))).kind).toBe("skip");
  });

  it("an expression beyond the Kubernetes runtime cost budget ends with an error, not a hang", () => {
    const p = compile({
      matchConstraints: deployments,
      validations: [
        { expression: "object.spec.items.all(a, object.spec.items.all(b, object.spec.items.all(c, a + b + c >= 0)))", message: "x" },
      ],
    });
    const big = { ...deployment(1), spec: { replicas: 1, items: Array.from({ length: 2000 }, (_, i) => i) } };
    const v = p.evaluate(create(big));
    expect(v.kind).toBe("error");
    expect(v.kind === "error" && v.cause.detail).toMatch(/cost limit exceeded|cost budget/i);
  });

  it("a type error is a problem naming the document, the field and the CEL column", () => {
    const { problems } = prepare({ matchConstraints: deployments, validations: [{ expression: "object.spec.replicas + 'x' == 1" }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: "compile_error", document: 0, field: ["spec", "validations", 0, "expression"] });
    expect(problems[0]!.message).toMatch(
      /^compilation failed: ERROR: <input>:1:\d+: found no matching overload for '_==_' applied to '\(string, int\)'/,
    );
  });
});

describe("policies with the same variables share one compile of them", async () => {
  const runtime = await CelRuntime.get();
  type Stats = { compositions: number; compositionHits: number; memoHits: number };
  const stats = () => runtime.call({ op: "stats" }).value as Stats;
  const replicas = [
    { name: "replicas", expression: "object.spec.replicas" },
    { name: "many", expression: "variables.replicas > 3" },
  ];
  const prepare = (name: string, spec: Record<string, unknown>) =>
    KubernetesEngine.prepare(oneSet([vap({ matchConstraints: deployments, ...spec }, name), binding({}, name)]), { runtime });

  it("each policy keeps its own validations and messages; identical expressions are compiled once", () => {
    const before = stats();
    const a = prepare("shares-a", { variables: replicas, validations: [{ expression: "!variables.many", message: "a: too many" }] });
    const b = prepare("shares-b", {
      variables: replicas,
      validations: [
        { expression: "!variables.many", message: "b: too many" },
        { expression: "variables.replicas != 2", messageExpression: "'b: two is ' + string(variables.replicas)" },
      ],
    });
    expect([a.problems, b.problems]).toEqual([[], []]);
    const after = stats();
    expect(after.compositions - before.compositions).toBe(1);
    expect(after.compositionHits - before.compositionHits).toBe(1);
    expect(after.memoHits - before.memoHits).toBe(1);
    expect(a.engine.evaluate({ policy: "shares-a", admission: create(deployment(5)) })).toMatchObject({
      kind: "deny",
      violations: [{ message: "a: too many" }],
    });
    expect(b.engine.evaluate({ policy: "shares-b", admission: create(deployment(5)) })).toMatchObject({
      kind: "deny",
      violations: [{ message: "b: too many" }],
    });
    expect(b.engine.evaluate({ policy: "shares-b", admission: create(deployment(2)) })).toMatchObject({
      kind: "deny",
      violations: [{ message: "b: two is 2" }],
    });
    expect(a.engine.evaluate({ policy: "shares-a", admission: create(deployment(2)) }).kind).toBe("allow");
    a.engine.release();
    b.engine.release();
    expect(stats().compositions).toBe(before.compositions);
  });

  it("a policy that does not compile is forgotten at once, with the variables only it held", () => {
    const before = runtime.call({ op: "stats" }).value as Stats & { policies: number };
    const r = prepare("never-compiles", {
      variables: [{ name: "only-here", expression: "object.spec.replicas" }],
      validations: [{ expression: "1 + 'x' == 2" }],
    });
    expect(r.problems).toHaveLength(1);
    const after = runtime.call({ op: "stats" }).value as Stats & { policies: number };
    expect([after.policies, after.compositions]).toEqual([before.policies, before.compositions]);
  });

  it("a variable's compile error is reported for every policy that shares it", () => {
    const broken = [{ name: "bad", expression: "1 + 'x'" }];
    const a = prepare("broken-a", { variables: broken, validations: [{ expression: "true" }] });
    const b = prepare("broken-b", { variables: broken, validations: [{ expression: "true" }] });
    for (const r of [a, b]) expect(r.problems.map((p) => p.field)).toEqual([["spec", "variables", 0, "expression"]]);
    a.engine.release();
    b.engine.release();
  });

  it("the same variables with params, in another order or in Kyverno's environment are compiled apart", () => {
    const before = stats();
    const plain = prepare("apart-plain", { variables: replicas, validations: [{ expression: "!variables.many" }] });
    const withParams = prepare("apart-params", {
      paramKind: { apiVersion: "v1", kind: "ConfigMap" },
      variables: replicas,
      validations: [{ expression: "!variables.many" }],
    });
    const other = prepare("apart-order", {
      variables: [{ name: "many", expression: "object.spec.replicas > 3" }, replicas[0]],
      validations: [{ expression: "!variables.many" }],
    });
    expect([plain.problems, withParams.problems, other.problems]).toEqual([[], [], []]);
    expect(stats().compositions - before.compositions).toBe(3);
    for (const r of [plain, withParams, other]) r.engine.release();
  });
});

describe("the CEL policyc generates", () => {
  it("every golden ValidatingAdmissionPolicy and ValidatingPolicy type-checks on Kubernetes' CEL environment", async () => {
    const { existsSync, readdirSync } = await import("node:fs");
    const path = await import("node:path");
    const { readYamlDocuments } = await import("../support/helpers.js");
    const runtime = await CelRuntime.get();
    const golden = path.join(import.meta.dirname, "..", "golden");
    let compiled = 0;
    for (const name of readdirSync(golden).sort()) {
      // A policy reading the cluster has no VAP (golden.test.ts checks it emits none).
      const vaps = existsSync(path.join(golden, name, "kubernetes.yaml"))
        ? (readYamlDocuments(path.join(golden, name, "kubernetes.yaml")) as KubeObject[])
        : [];
      expect(KubernetesEngine.prepare(oneSet(vaps), { runtime }).problems).toEqual([]);
      const vps = readYamlDocuments(path.join(golden, name, "kyverno.yaml")) as KubeObject[];
      expect(KyvernoEngine.prepare(oneSet(vps), { runtime }).problems).toEqual([]);
      compiled += vaps.filter((d) => d.kind === "ValidatingAdmissionPolicy").length + vps.length;
    }
    expect(compiled).toBeGreaterThanOrEqual(8);
  });
});
