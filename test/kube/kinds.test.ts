/** Which kinds live in namespaces: what puts a namespace on an object that has none (kubectl's and the Kyverno CLI's `default`). */
import { describe, expect, it } from "vitest";
import { inDefaultNamespace, isNamespacedKind, namespacedKnowing } from "../../src/kube/index.js";

describe("the scope of kinds", () => {
  it("Kubernetes' cluster-scoped kinds get no namespace; namespaced ones get default", () => {
    for (const [apiVersion, kind] of [
      ["flowcontrol.apiserver.k8s.io/v1", "FlowSchema"],
      ["flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration"],
      ["admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy"],
      ["networking.k8s.io/v1", "IngressClass"],
      ["networking.k8s.io/v1", "IPAddress"],
      ["resource.k8s.io/v1", "DeviceClass"],
      ["storage.k8s.io/v1beta1", "VolumeAttributesClass"],
      ["policies.kyverno.io/v1", "MutatingPolicy"],
    ] as const) {
      expect(isNamespacedKind(apiVersion, kind), kind).toBe(false);
      expect(inDefaultNamespace({ apiVersion, kind, metadata: { name: "x" } }).metadata).toEqual({ name: "x" });
    }
    for (const [apiVersion, kind] of [
      ["v1", "Pod"],
      ["policy/v1", "PodDisruptionBudget"],
      ["authorization.k8s.io/v1", "LocalSubjectAccessReview"],
      ["policies.kyverno.io/v1", "NamespacedValidatingPolicy"],
      ["example.com/v1", "Widget"],
    ] as const)
      expect(inDefaultNamespace({ apiVersion, kind, metadata: { name: "x" } }).metadata, kind).toEqual({ name: "x", namespace: "default" });
  });

  it("a CRD with scope Cluster makes its kind cluster-scoped", () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      spec: { scope: "Cluster", names: { kind: "Widget" } },
    };
    const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "x" } };
    expect(namespacedKnowing([crd])(widget)).toBe(false);
    expect(inDefaultNamespace(widget, namespacedKnowing([crd])).metadata).toEqual({ name: "w" });
    expect(namespacedKnowing([], ["Widget"])(widget)).toBe(false);
    expect(namespacedKnowing([])(widget)).toBe(true);
  });
});
