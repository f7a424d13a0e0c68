/**
 * What a compiled policy can read of a cluster decides which objects the CEL runtime is given
 * (runtime.ts): a lookup the filter missed would see an empty cluster, so the reading is tested
 * on each shape, and end to end on a lookup policy.
 */
import { describe, expect, it } from "vitest";
import { clusterReadsOf } from "../../src/engines/cel/index.js";

const policy = (expression: string, paramKind?: { apiVersion: string; kind: string }) => ({
  apiVersion: "policies.kyverno.io/v1alpha1",
  kind: "ValidatingPolicy",
  metadata: { name: "p" },
  spec: { ...(paramKind ? { paramKind } : {}), validations: [{ expression }] },
});

describe("what a policy reads of a cluster", () => {
  it("a lookup with literal arguments reads that resource; one with computed arguments reads everything", () => {
    expect(
      clusterReadsOf(policy(`resource.List("networking.k8s.io/v1", 'networkpolicies', object.metadata.namespace).items.size() > 0`), true),
    ).toEqual({
      all: false,
      resources: ["networking.k8s.io/v1\0networkpolicies"],
    });
    expect(
      clusterReadsOf(policy(`resource.Get("v1", "services", "ns", "a") != null && context.GetConfigMap("ns", "c") != null`), true),
    ).toEqual({
      all: false,
      resources: ["v1\0configmaps", "v1\0services"],
    });
    expect(clusterReadsOf(policy(`resource.List(object.apiVersion, "deployments", "").items.size() == 0`), true).all).toBe(true);
    expect(clusterReadsOf(policy(`context.ListResources(variables.v, "pods", "")`), true).all).toBe(true);
  });

  it("params read their paramKind's objects; without Kyverno's libraries no lookup reads anything", () => {
    expect(clusterReadsOf(policy("object.spec.replicas <= params.data.max", { apiVersion: "v1", kind: "ConfigMap" }), false)).toEqual({
      all: false,
      resources: ["v1\0configmaps"],
    });
    expect(clusterReadsOf(policy(`resource.List(x, "pods", "")`), false)).toEqual({ all: false, resources: [] });
  });
});
