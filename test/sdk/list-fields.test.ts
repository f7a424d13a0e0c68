/**
 * Looping over any list field works, whatever its name (camelCase lists once broke the build):
 * every list of a PodSpec, of a Container and of RBAC rules, on every engine.
 */
import { describe, expect, it } from "vitest";
import { ClusterRole, definePolicy, Pod } from "../../src/index.js";
import { evaluate } from "../../src/testing/index.js";

const POD_LISTS = [
  "containers",
  "initContainers",
  "ephemeralContainers",
  "volumes",
  "imagePullSecrets",
  "hostAliases",
  "tolerations",
  "topologySpreadConstraints",
  "readinessGates",
  "resourceClaims",
  "schedulingGates",
] as const;
const CONTAINER_LISTS = ["env", "envFrom", "ports", "volumeMounts", "volumeDevices", "resizePolicy", "args", "command"] as const;
const RULE_LISTS = ["apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"] as const;

const item = { name: "x" };

describe("every list field can be looped over", () => {
  it("PodSpec and Container lists: none() denies once per non-empty list, on every engine", async () => {
    const policy = definePolicy({
      name: "pod-lists",
      match: { kinds: [Pod] },
      // Rules built in a loop: the function form types `pod` (a bare `.map()` beside `match` would not be).
      rules: (rule) => [
        ...POD_LISTS.map((l) => rule({ name: l.toLowerCase(), assert: (pod) => pod.spec[l].none((x) => x.exists()) })),
        ...CONTAINER_LISTS.map((l) =>
          rule({ name: `container-${l.toLowerCase()}`, assert: (pod) => pod.spec.containers.every((c) => c[l].none((x) => x.exists())) }),
        ),
      ],
    });
    expect(policy.issues).toEqual([]);
    const full = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "shop" },
      spec: {
        ...Object.fromEntries(POD_LISTS.map((l) => [l, [item]])),
        containers: [{ name: "c", image: "nginx", ...Object.fromEntries(CONTAINER_LISTS.map((l) => [l, [item]])) }],
      },
    };
    const denied = await evaluate(policy, full);
    expect(denied.verdict).toBe("deny");
    expect(Object.keys(denied.engines)).toHaveLength(4);
    for (const v of Object.values(denied.engines))
      expect(v!.kind === "deny" && v!.violations.length).toBe(POD_LISTS.length + CONTAINER_LISTS.length);
    const empty = { ...full, spec: { containers: [{ name: "c", image: "nginx" }] } };
    const r = await evaluate(policy, empty);
    expect(r.verdict).toBe("deny"); // containers itself is not empty
    for (const v of Object.values(r.engines)) expect(v!.kind === "deny" && v!.violations.length).toBe(1);
  });

  it("RBAC rule lists", async () => {
    const policy = definePolicy({
      name: "rule-lists",
      match: { kinds: [ClusterRole] },
      rules: (rule) =>
        RULE_LISTS.map((l) => rule({ name: l.toLowerCase(), assert: (role) => role.rules.every((r) => r[l].none((x) => x.equals("*"))) })),
    });
    expect(policy.issues).toEqual([]);
    const role = (value: string) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "r" },
      rules: [Object.fromEntries(RULE_LISTS.map((l) => [l, [value]]))],
    });
    const denied = await evaluate(policy, role("*"));
    for (const v of Object.values(denied.engines)) expect(v!.kind === "deny" && v!.violations.length).toBe(RULE_LISTS.length);
    expect((await evaluate(policy, role("get"))).verdict).toBe("allow");
  });
});
