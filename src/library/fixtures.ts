/**
 * Objects the library's test cases are built from: a well-behaved Pod, and the controllers and
 * other kinds around it. Each case changes only what it is about.
 */

export const IMAGE = "registry.example.com/shop/app:1.4.2@sha256:" + "0123456789abcdef".repeat(4);

type Json = Record<string, unknown>;

/** A container that passes every library policy. */
export function container(extra: Json = {}, name = "app"): Json {
  return {
    name,
    image: IMAGE,
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "128Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    livenessProbe: { httpGet: { path: "/live", port: 8080 } },
    ...extra,
  };
}

/** A pod spec that passes every library policy, with `extra` over it. */
export function podSpec(extra: Json = {}): Json {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container()],
    ...extra,
  };
}

const LABELS = { "app.kubernetes.io/name": "shop" };

export function pod(spec: Json = podSpec(), metadata: Json = {}): Json {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "shop", namespace: "shop", labels: LABELS, ...metadata }, spec };
}

export function deployment(spec: Json = podSpec(), templateMetadata: Json = {}, metadata: Json = {}): Json {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "shop", namespace: "shop", labels: LABELS, ...metadata },
    spec: {
      replicas: 2,
      selector: { matchLabels: LABELS },
      template: { metadata: { labels: LABELS, ...templateMetadata }, spec },
    },
  };
}

export function cronJob(spec: Json = podSpec({ restartPolicy: "OnFailure" }), metadata: Json = {}): Json {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "report", namespace: "shop", labels: LABELS, ...metadata },
    spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { metadata: { labels: LABELS }, spec } } } },
  };
}

/** An object no pod policy applies to. */
export function configMap(): Json {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" }, data: { mode: "fast" } };
}

export function service(spec: Json, metadata: Json = {}): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "shop", namespace: "shop", ...metadata },
    spec: { selector: LABELS, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}

export function ingress(spec: Json): Json {
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "shop", namespace: "shop" }, spec };
}

export function networkPolicy(spec: Json): Json {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "shop", namespace: "shop" },
    spec: { podSelector: { matchLabels: LABELS }, ...spec },
  };
}

export function role(rules: Json[], kind: "Role" | "ClusterRole" = "Role"): Json {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name: "shop-reader", ...(kind === "Role" ? { namespace: "shop" } : {}) },
    rules,
  };
}

export function binding(
  roleRef: { kind: string; name: string },
  subjects: Json[],
  kind: "RoleBinding" | "ClusterRoleBinding" = "ClusterRoleBinding",
): Json {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name: "shop-binding", ...(kind === "RoleBinding" ? { namespace: "shop" } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    subjects,
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

/** The case every pod policy carries: an object it does not apply to. */
export const NOT_A_POD = { name: "not a pod", resource: configMap(), expect: "skip" } as const;

/** The case of a policy that leaves kube-system out by default: this object there is skipped. */
export function leftOutInKubeSystem(object: Json) {
  return { name: "kube-system is left out", resource: object, expect: "skip" } as const;
}

/** A PodDisruptionBudget of namespace shop selecting pods by this selector. */
export function podDisruptionBudget(selector: Json, name = "shop"): Json {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace: "shop" },
    spec: { minAvailable: 1, selector },
  };
}

/** A HorizontalPodAutoscaler of namespace shop scaling this object. */
export function horizontalPodAutoscaler(kind: string, name: string): Json {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, namespace: "shop" },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind, name }, minReplicas: 2, maxReplicas: 10 },
  };
}

/** The NetworkPolicy that isolates every pod of namespace shop for ingress (a default deny). */
export function defaultDeny(namespace = "shop", spec: Json = {}): Json {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress"], ...spec },
  };
}
