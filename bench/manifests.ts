/**
 * Synthetic manifests for the `apply` benchmark: a realistic mix, as a platform team's repository
 * renders it. Per application (in namespaces of 10 applications each): a Deployment, a Service,
 * a ServiceAccount, a ConfigMap, a Role and its RoleBinding, and for some an Ingress, a
 * NetworkPolicy, a PodDisruptionBudget and a HorizontalPodAutoscaler; a Namespace per 10
 * applications; and a few large CRDs (an operator's, ~800 KB each) that no policy matches.
 * Some objects break a library policy (a privileged container, a latest tag, a NodePort), so the
 * report has findings. Written as multi-document files of about 50 objects.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

type Json = Record<string, unknown>;

/** A CRD whose schema is large (nested properties), as operators ship them. */
function largeCrd(i: number): Json {
  const props = (depth: number): Json => {
    const out: Json = {};
    for (let k = 0; k < (depth === 0 ? 40 : 12); k++)
      out[`field${k}`] =
        depth < 2
          ? { type: "object", description: `Field ${k} at depth ${depth}. `.repeat(8), properties: props(depth + 1) }
          : { type: "string", description: `A leaf setting, described at length. `.repeat(6) };
    return out;
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `widgets${i}.example.com` },
    spec: {
      group: "example.com",
      names: { kind: `Widget${i}`, plural: `widgets${i}`, singular: `widget${i}`, listKind: `Widget${i}List` },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: props(0) } } } },
        },
      ],
    },
  };
}

/** One application's objects in a namespace; `n` numbers it, `bad` makes some break policies. */
function application(ns: string, n: number): Json[] {
  const name = `app-${n}`;
  const labels = { "app.kubernetes.io/name": name, team: ns };
  const privileged = n % 17 === 0;
  const image = n % 13 === 0 ? "nginx:latest" : `registry.example.com/${ns}/${name}:1.${n % 9}.0@sha256:${"0123456789abcdef".repeat(4)}`;
  const out: Json[] = [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: n % 4 === 0 ? undefined : 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "app",
                image,
                ports: [{ containerPort: 8080 }],
                securityContext: {
                  allowPrivilegeEscalation: privileged,
                  privileged,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ["ALL"] },
                },
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
                livenessProbe: { httpGet: { path: "/live", port: 8080 } },
                env: [{ name: "MODE", value: "production" }],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: ns, labels },
      spec: { type: n % 29 === 0 ? "NodePort" : "ClusterIP", selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, labels }, automountServiceAccountToken: false },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-config`, namespace: ns, labels },
      data: { "app.yaml": "mode: production\n" },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: `${name}-reader`, namespace: ns, labels },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${name}-reader`, namespace: ns, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${name}-reader` },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    },
  ];
  if (n % 3 === 0)
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name, namespace: ns, labels },
      spec: {
        tls: [{ hosts: [`${name}.${ns}.example.com`], secretName: `${name}-tls` }],
        rules: [
          {
            host: `${name}.${ns}.example.com`,
            http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } }] },
          },
        ],
      },
    });
  if (n % 2 === 0)
    out.push({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name, namespace: ns, labels },
      spec: { minAvailable: 1, selector: { matchLabels: labels } },
    });
  if (n % 5 === 0)
    out.push({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name, namespace: ns, labels },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name }, minReplicas: 2, maxReplicas: 6 },
    });
  return out;
}

/** Writes about `count` objects under `dir` (50 a file); returns how many were written. */
export function writeManifests(dir: string, count: number): number {
  mkdirSync(dir, { recursive: true });
  const objects: Json[] = [];
  const crds = Math.max(1, Math.min(4, Math.floor(count / 1000)));
  for (let i = 0; i < crds; i++) objects.push(largeCrd(i));
  for (let n = 0; objects.length < count; n++) {
    const ns = `team-${Math.floor(n / 10)}`;
    if (n % 10 === 0) {
      objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: ns } } });
      // Half the namespaces isolate their pods by default.
      if ((n / 10) % 2 === 0)
        objects.push({
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: "default-deny", namespace: ns },
          spec: { podSelector: {}, policyTypes: ["Ingress"] },
        });
    }
    objects.push(...application(ns, n));
  }
  const kept = objects.slice(0, count);
  for (let f = 0; f * 50 < kept.length; f++) {
    const docs = kept.slice(f * 50, (f + 1) * 50).map((o) => stringify(JSON.parse(JSON.stringify(o)), { lineWidth: 0 }));
    writeFileSync(path.join(dir, `part-${String(f).padStart(4, "0")}.yaml`), docs.join("---\n"));
  }
  return kept.length;
}
