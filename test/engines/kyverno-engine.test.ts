/**
 * The `kyverno` engine's reading of Kyverno policies: autogen for pod controllers as Kyverno
 * does it (documentation "Auto-Gen Rules"; pkg/cel/autogen for ValidatingPolicy, pkg/autogen/v1
 * for ClusterPolicy rules), and PolicyExceptions.
 */
import { describe, expect, it } from "vitest";
import { CelRuntime } from "../../src/engines/cel/index.js";
import { KyvernoEngine } from "../../src/engines/kyverno/index.js";
import type { KubeObject } from "../../src/kube/index.js";
import { oneSet } from "../../src/engines/verdict/index.js";
import { toValidatingPolicies } from "../../src/backends/index.js";
import { definePolicy, Pod } from "../../src/sdk/index.js";
import { lowerPolicy } from "../../src/ir/index.js";

const pods = { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }] };

const vpol = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "policies.kyverno.io/v1",
  kind: "ValidatingPolicy",
  metadata: { name },
  spec: { validationActions: ["Deny"], matchConstraints: pods, ...spec },
});

/** No container may be privileged. */
const noPrivileged = {
  validations: [{ expression: "object.spec.containers.all(c, !(c.?securityContext.?privileged.orValue(false)))", message: "privileged" }],
};

const podSpec = (privileged: boolean) => ({ containers: [{ name: "app", image: "nginx", securityContext: { privileged } }] });
const pod = (privileged: boolean, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "shop", ...metadata },
  spec: podSpec(privileged),
});
const deployment = (privileged: boolean, metadata: Record<string, unknown> = {}, template: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "d", namespace: "shop", ...metadata },
  spec: { template: { metadata: template, spec: podSpec(privileged) } },
});
const cronjob = (privileged: boolean): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "CronJob",
  metadata: { name: "c", namespace: "shop" },
  spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: podSpec(privileged) } } } },
});
const statefulset = (privileged: boolean): KubeObject => ({ ...deployment(privileged), apiVersion: "apps/v1", kind: "StatefulSet" });
const rc = (privileged: boolean): KubeObject => ({ ...deployment(privileged), apiVersion: "v1", kind: "ReplicationController" });

describe("ValidatingPolicy autogen", async () => {
  const runtime = await CelRuntime.get();
  const engine = (...docs: KubeObject[]) => {
    const r = KyvernoEngine.prepare(oneSet(docs), { runtime });
    expect(r.problems).toEqual([]);
    return r.engine;
  };
  const verdict = (e: KyvernoEngine, name: string, o: KubeObject) =>
    e.evaluate({ policy: name, admission: { operation: "CREATE", object: o } }).kind;

  it("is on by default for a Pod-only policy: Deployments (autogen-defaults) and CronJobs (autogen-cronjobs) are checked through their pod template", () => {
    const e = engine(vpol("no-priv", noPrivileged));
    expect(verdict(e, "no-priv", pod(true))).toBe("deny");
    expect(verdict(e, "no-priv", deployment(true))).toBe("deny");
    expect(verdict(e, "no-priv", deployment(false))).toBe("allow");
    expect(verdict(e, "no-priv", cronjob(true))).toBe("deny");
    expect(verdict(e, "no-priv", statefulset(true))).toBe("deny");
    const rules = e.rules({ policy: "no-priv", admission: { operation: "CREATE", object: cronjob(true) } });
    expect(rules.map((r) => [r.rule, r.verdict.kind])).toEqual([
      ["", "skip"],
      ["autogen-cronjobs", "deny"],
      ["autogen-defaults", "skip"],
    ]);
  });

  it("an empty autogen.podControllers.controllers list switches it off; a list narrows it", () => {
    const off = engine(vpol("off", { ...noPrivileged, autogen: { podControllers: { controllers: [] } } }));
    expect(verdict(off, "off", deployment(true))).toBe("skip");
    expect(verdict(off, "off", pod(true))).toBe("deny");
    const some = engine(vpol("some", { ...noPrivileged, autogen: { podControllers: { controllers: ["deployments"] } } }));
    expect(verdict(some, "some", deployment(true))).toBe("deny");
    expect(verdict(some, "some", statefulset(true))).toBe("skip");
    expect(verdict(some, "some", cronjob(true))).toBe("skip");
  });

  it("is off when the policy matches more than pods, selects objects or namespaces, or names resources", () => {
    const mixed = { resourceRules: [{ ...pods.resourceRules[0], resources: ["pods", "deployments"], apiGroups: ["", "apps"] }] };
    const cases = [
      vpol("mixed", { ...noPrivileged, matchConstraints: mixed }),
      vpol("selector", { ...noPrivileged, matchConstraints: { ...pods, objectSelector: { matchLabels: { tier: "web" } } } }),
      vpol("ns", { ...noPrivileged, matchConstraints: { ...pods, namespaceSelector: { matchLabels: { env: "prod" } } } }),
      vpol("named", { ...noPrivileged, matchConstraints: { resourceRules: [{ ...pods.resourceRules[0], resourceNames: ["p"] }] } }),
    ];
    const e = engine(...cases);
    for (const name of ["mixed", "selector", "ns", "named"]) {
      expect(
        e.rules({ policy: name, admission: { operation: "CREATE", object: deployment(true) } }).map((r) => r.rule),
        name,
      ).toEqual([""]);
    }
  });

  it("reads metadata from the pod template, except metadata.name and metadata.namespace, which stay the controller's own", () => {
    const e = engine(
      vpol("labels", {
        validations: [{ expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: "team label" }],
      }),
      vpol("name", { validations: [{ expression: "object.metadata.name != 'forbidden'", message: "name" }] }),
    );
    // The team label on the Deployment itself does not count: autogen reads the template's labels.
    expect(verdict(e, "labels", deployment(false, { labels: { team: "a" } }))).toBe("deny");
    expect(verdict(e, "labels", deployment(false, {}, { labels: { team: "a" } }))).toBe("allow");
    // object.metadata.name is the Deployment's name (pod templates carry none).
    expect(verdict(e, "name", deployment(false, { name: "forbidden" }))).toBe("deny");
    expect(verdict(e, "name", deployment(false, { name: "fine" }))).toBe("allow");
  });

  it("guards match conditions by the controller kinds, and rewrites them too", () => {
    const e = engine(
      vpol("web-only", { ...noPrivileged, matchConditions: [{ name: "web", expression: "object.metadata.labels.tier == 'web'" }] }),
    );
    expect(verdict(e, "web-only", deployment(true, {}, { labels: { tier: "web" } }))).toBe("deny");
    expect(verdict(e, "web-only", deployment(true, {}, { labels: { tier: "db" } }))).toBe("skip");
  });
});

describe("ClusterPolicy validate.cel autogen", async () => {
  const runtime = await CelRuntime.get();
  const cpol = (
    annotations: Record<string, string> = {},
    match: Record<string, unknown> = { any: [{ resources: { kinds: ["Pod"] } }] },
  ): KubeObject => ({
    apiVersion: "kyverno.io/v1",
    kind: "ClusterPolicy",
    metadata: { name: "no-priv", annotations },
    spec: {
      rules: [
        {
          name: "check",
          match,
          validate: {
            failureAction: "Enforce",
            cel: { expressions: [{ expression: noPrivileged.validations[0]!.expression, message: "privileged" }] },
          },
        },
      ],
    },
  });
  const rules = (doc: KubeObject, o: KubeObject) => {
    const r = KyvernoEngine.prepare(oneSet([doc]), { runtime });
    expect(r.problems).toEqual([]);
    return r.engine
      .rules({ policy: "no-priv", admission: { operation: "CREATE", object: o } })
      .filter((x) => x.verdict.kind !== "skip")
      .map((x) => [x.rule, x.verdict.kind]);
  };

  it("a rule matching Pods gets autogen-<rule> for Deployments, StatefulSets, ReplicationControllers… and autogen-cronjob-<rule> for CronJobs", () => {
    expect(rules(cpol(), pod(true))).toEqual([["check", "deny"]]);
    expect(rules(cpol(), deployment(true))).toEqual([["autogen-check", "deny"]]);
    expect(rules(cpol(), rc(true))).toEqual([["autogen-check", "deny"]]);
    expect(rules(cpol(), cronjob(true))).toEqual([["autogen-cronjob-check", "deny"]]);
    expect(rules(cpol(), cronjob(false))).toEqual([["autogen-cronjob-check", "allow"]]);
  });

  it("the pod-policies.kyverno.io/autogen-controllers annotation narrows the controllers, and none switches autogen off", () => {
    const annotation = "pod-policies.kyverno.io/autogen-controllers";
    expect(rules(cpol({ [annotation]: "none" }), deployment(true))).toEqual([]);
    expect(rules(cpol({ [annotation]: "Deployment" }), deployment(true))).toEqual([["autogen-check", "deny"]]);
    expect(rules(cpol({ [annotation]: "Deployment" }), cronjob(true))).toEqual([]);
    expect(rules(cpol({ [annotation]: "CronJob" }), cronjob(true))).toEqual([["autogen-cronjob-check", "deny"]]);
  });

  it("a match by name or selector, or Pod mixed with other kinds in one filter, switches autogen off for the policy", () => {
    expect(rules(cpol({}, { any: [{ resources: { kinds: ["Pod"], names: ["p*"] } }] }), deployment(true))).toEqual([]);
    expect(rules(cpol({}, { any: [{ resources: { kinds: ["Pod"], selector: { matchLabels: { a: "b" } } } }] }), deployment(true))).toEqual(
      [],
    );
    // Matched directly, the Deployment has no spec.containers: the rule itself errs, and no autogen rule exists.
    // Kyverno's validate.cel handler builds its validator with failurePolicy Fail, so the error is a fail.
    expect(rules(cpol({}, { any: [{ resources: { kinds: ["Pod", "Deployment"] } }] }), deployment(true))).toEqual([["check", "deny"]]);
  });
});

describe("PolicyExceptions", async () => {
  const runtime = await CelRuntime.get();
  it("a policies.kyverno.io exception skips the policy where its match conditions hold, and only there", () => {
    const exception: KubeObject = {
      apiVersion: "policies.kyverno.io/v1",
      kind: "PolicyException",
      metadata: { name: "cni", namespace: "kube-system" },
      spec: {
        policyRefs: [{ name: "no-priv", kind: "ValidatingPolicy" }],
        matchConditions: [{ name: "cni", expression: "object.metadata.name == 'cni'" }],
      },
    };
    const { engine, problems } = KyvernoEngine.prepare(oneSet([vpol("no-priv", noPrivileged), exception]), { runtime });
    expect(problems).toEqual([]);
    const v = engine.evaluate({ policy: "no-priv", admission: { operation: "CREATE", object: pod(true, { name: "cni" }) } });
    expect(v).toMatchObject({ kind: "skip", cause: { code: "exception" } });
    expect(engine.evaluate({ policy: "no-priv", admission: { operation: "CREATE", object: pod(true, { name: "other" }) } }).kind).toBe(
      "deny",
    );
  });
});

describe("policyc's Kyverno output and Kyverno's autogen", async () => {
  const runtime = await CelRuntime.get();
  const hostPid = (pod: never) => (pod as { spec: { hostPID: { notEquals(v: boolean): unknown } } }).spec.hostPID.notEquals(true);

  it("switches autogen off wherever Kyverno would apply it, so Kyverno never checks controllers policyc did not ask for", () => {
    // podControllers: false makes a policy on Pods alone: the match Kyverno autogens by default.
    const podsOnly = definePolicy({ name: "pods-only", match: { kinds: [Pod] }, podControllers: false, validate: hostPid as never });
    // A Pod policy covers controllers itself (its match lists them), and says so explicitly too.
    const podPolicy = definePolicy({ name: "pod-policy", match: { kinds: [Pod] }, validate: hostPid as never });
    for (const def of [podsOnly, podPolicy]) {
      expect(def.issues).toEqual([]);
      const lowered = lowerPolicy(def.policy!);
      if (!lowered.ok) throw new Error("lowering failed");
      const [doc] = toValidatingPolicies(lowered.value);
      expect((doc!.spec as { autogen?: unknown }).autogen).toEqual({ podControllers: { controllers: [] } });
      const r = KyvernoEngine.prepare(oneSet([doc as KubeObject]), { runtime });
      expect(r.problems).toEqual([]);
      const dep = deployment(false);
      const bad = { ...dep, spec: { template: { spec: { ...podSpec(false), hostPID: true } } } } as KubeObject;
      const request = { policy: def.policy!.name, admission: { operation: "CREATE", object: bad } } as const;
      expect(r.engine.rules(request).map((x) => x.rule)).toEqual([""]);
      expect(r.engine.evaluate(request).kind).toBe(def === podsOnly ? "skip" : "deny");
    }
  });
});

describe("CEL compiled once across targets", () => {
  const stats = (runtime: CelRuntime) => (runtime.call({ op: "stats" }).value as { sharedHits: number }).sharedHits;
  const vap = (name: string, spec: Record<string, unknown>): KubeObject[] => [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name },
      spec: { failurePolicy: "Fail", matchConstraints: pods, ...spec },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name },
      spec: { policyName: name, validationActions: ["Deny"] },
    },
  ];

  it("a ValidatingPolicy whose CEL compiled in the Kubernetes environment reuses that compile, and judges the same", async () => {
    const runtime = await CelRuntime.get();
    const { KubernetesEngine } = await import("../../src/engines/kubernetes/index.js");
    const k = KubernetesEngine.prepare(oneSet(vap("shared-once", noPrivileged)), { runtime });
    const before = stats(runtime);
    const y = KyvernoEngine.prepare(oneSet([vpol("shared-once", noPrivileged)]), { runtime });
    expect(y.problems).toEqual([]);
    expect(stats(runtime)).toBe(before + 1);
    for (const privileged of [true, false]) {
      const req = { operation: "CREATE" as const, object: pod(privileged) };
      expect(y.engine.evaluate({ policy: "shared-once", admission: req }).kind).toBe(privileged ? "deny" : "allow");
      expect(k.engine.evaluate({ policy: "shared-once", admission: req }).kind).toBe(privileged ? "deny" : "allow");
    }
    k.engine.release();
    y.engine.release();
  });

  it("CEL that only Kyverno's libraries compile is compiled in Kyverno's environment, never shared", async () => {
    const runtime = await CelRuntime.get();
    const { KubernetesEngine } = await import("../../src/engines/kubernetes/index.js");
    const registry = {
      validations: [{ expression: 'object.spec.containers.all(c, image(c.image).registry() == "docker.io")', message: "registry" }],
    };
    const k = KubernetesEngine.prepare(oneSet(vap("kyverno-only", registry)), { runtime });
    expect(k.problems.map((p) => p.field)).toEqual([["spec", "validations", 0, "expression"]]);
    const before = stats(runtime);
    const y = KyvernoEngine.prepare(oneSet([vpol("kyverno-only", registry)]), { runtime });
    expect(y.problems).toEqual([]);
    expect(stats(runtime)).toBe(before);
    expect(y.engine.evaluate({ policy: "kyverno-only", admission: { operation: "CREATE", object: pod(false) } }).kind).toBe("allow");
    y.engine.release();
  });
});

describe("ValidatingPolicy matching", async () => {
  const runtime = await CelRuntime.get();
  it("a Kubernetes-mode policy without matchConstraints matches nothing, as Kyverno's engine matches it; in JSON mode they are not read", () => {
    const deny = { validations: [{ expression: "false", message: "denied" }] };
    const { matchConstraints: _, ...bare } = vpol("bare", deny).spec as Record<string, unknown>;
    const docs = [
      { ...vpol("bare", deny), spec: bare },
      vpol("pods", deny),
      { ...vpol("json", deny), spec: { ...bare, evaluation: { mode: "JSON" } } },
      { ...vpol("json-pods", deny), spec: { ...(vpol("json-pods", deny).spec as object), evaluation: { mode: "JSON" } } },
    ];
    const r = KyvernoEngine.prepare(oneSet(docs), { runtime });
    expect(r.problems).toEqual([]);
    const kinds = (o: KubeObject) =>
      ["bare", "pods", "json", "json-pods"].map(
        (p) => r.engine.evaluate({ policy: p, admission: { operation: "CREATE", object: o } }).kind,
      );
    expect(kinds(pod(false))).toEqual(["skip", "deny", "deny", "deny"]);
    const configMap: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "shop" } };
    expect(kinds(configMap)).toEqual(["skip", "skip", "deny", "deny"]);
    r.engine.release();
  });
});
