/**
 * Ready-made mutations: defaults that make workloads pass the Restricted Pod Security policies,
 * image pull policy, labels from the namespace, default resource requests, a registry mirror.
 * Each is lowered to Kyverno's MutatingPolicy, Kubernetes' MutatingAdmissionPolicy and
 * Gatekeeper's mutators, or skips a target that cannot express it (with the reason).
 */
import { z } from "zod";
import {
  addToSet,
  defaultLabelFromNamespace,
  defineMutation,
  forEachContainer,
  Pod,
  rewriteRegistry,
  set,
  setDefault,
  type MutationDefinition,
  type MutationTestCase,
} from "../sdk/index.js";

/** How a consumer tunes a library mutation. */
export interface MutationOptions<P = Record<string, never>> {
  /** The mutation's name, and its generated objects' (default: the library's name). */
  readonly name?: string;
  readonly params?: P;
  /** Namespaces left out (default: kube-system). */
  readonly excludeNamespaces?: readonly string[];
  /** Test cases (default: the library's own, when the parameters are the documented ones). */
  readonly tests?: readonly MutationTestCase[];
}

const SYSTEM = ["kube-system"];
const pod = (spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "team-a", ...(labels ? { labels } : {}) },
  spec,
});
const deployment = (podSpec: Record<string, unknown>) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "team-a" },
  spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: podSpec } },
});
const same = <P>(a: P | undefined, b: P) => a === undefined || JSON.stringify(a) === JSON.stringify(b);
const casesFor = <P>(options: MutationOptions<P>, documented: P, cases: readonly MutationTestCase[]) =>
  options.tests ?? (same(options.params, documented) ? cases : []);

const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/**
 * Defaults the Restricted Pod Security Standard asks for, each only where the workload does not
 * say otherwise: the pod's `runAsNonRoot: true` and `seccompProfile.type: RuntimeDefault`, every
 * container's `allowPrivilegeEscalation: false`, and `ALL` added to every container's dropped
 * capabilities (a list the container already has keeps its items).
 */
export function addDefaultSecuritycontext(options: MutationOptions = {}): MutationDefinition {
  return defineMutation({
    name: options.name ?? "add-default-securitycontext",
    title: "Add default securityContext",
    description:
      "Sets the Restricted Pod Security defaults where a pod leaves them unset: runAsNonRoot, seccomp RuntimeDefault, allowPrivilegeEscalation false, and ALL among the dropped capabilities.",
    match: { kinds: [Pod], excludeNamespaces: options.excludeNamespaces ?? SYSTEM },
    mutate: [
      setDefault("spec.securityContext.runAsNonRoot", true),
      setDefault("spec.securityContext.seccompProfile.type", "RuntimeDefault"),
      forEachContainer({ lists: "all" }, [
        setDefault("securityContext.allowPrivilegeEscalation", false),
        addToSet("securityContext.capabilities.drop", ["ALL"]),
      ]),
    ],
    tests: casesFor(options, undefined, [
      {
        name: "a bare pod gets every default",
        resource: pod({ containers: [{ name: "app", image: "nginx:1.27" }] }),
        expect: pod({
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{ name: "app", image: "nginx:1.27", securityContext: RESTRICTED_CONTAINER }],
        }),
      },
      {
        name: "values the pod sets are kept; drop gains ALL",
        resource: pod({
          securityContext: { runAsNonRoot: false, seccompProfile: { type: "Localhost", localhostProfile: "p.json" } },
          containers: [
            { name: "app", image: "nginx:1.27", securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ["NET_RAW"] } } },
          ],
          initContainers: [{ name: "init", image: "busybox:1.36" }],
        }),
        fields: {
          "spec.securityContext.runAsNonRoot": false,
          "spec.securityContext.seccompProfile.type": "Localhost",
          "spec.containers.0.securityContext.allowPrivilegeEscalation": true,
          "spec.containers.0.securityContext.capabilities.drop": ["NET_RAW", "ALL"],
          "spec.initContainers.0.securityContext.allowPrivilegeEscalation": false,
        },
      },
      {
        name: "a Deployment's pod template gets the defaults",
        resource: deployment({ containers: [{ name: "app", image: "nginx:1.27" }] }),
        expect: deployment({
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{ name: "app", image: "nginx:1.27", securityContext: RESTRICTED_CONTAINER }],
        }),
      },
      {
        name: "a pod that already complies is unchanged",
        resource: pod({
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{ name: "app", image: "nginx:1.27", securityContext: RESTRICTED_CONTAINER }],
        }),
        expect: "unchanged",
      },
      {
        name: "kube-system is left alone",
        resource: { ...pod({ containers: [{ name: "app", image: "nginx:1.27" }] }), metadata: { name: "web", namespace: "kube-system" } },
        expect: "skip",
      },
    ]),
  });
}

const pullPolicy = z.object({ policy: z.enum(["Always", "IfNotPresent", "Never"]).default("Always") });

/** Sets every container's `imagePullPolicy` (default `Always`: the node checks the registry, so a pod cannot use an image cached for another tenant). */
export function setImagePullPolicy(options: MutationOptions<z.input<typeof pullPolicy>> = {}): MutationDefinition {
  return defineMutation({
    name: options.name ?? "set-image-pull-policy",
    title: "Set imagePullPolicy",
    description: "Sets imagePullPolicy on every container (default Always).",
    match: { kinds: [Pod], excludeNamespaces: options.excludeNamespaces ?? SYSTEM },
    params: pullPolicy,
    instances: [{ params: options.params ?? {} }],
    mutate: (p) => [forEachContainer({ lists: "all" }, [set("imagePullPolicy", p.policy)])],
    tests: casesFor(options, {}, [
      {
        name: "every container pulls Always",
        resource: pod({
          containers: [
            { name: "a", image: "nginx:1.27", imagePullPolicy: "IfNotPresent" },
            { name: "b", image: "redis:7" },
          ],
        }),
        fields: { "spec.containers.0.imagePullPolicy": "Always", "spec.containers.1.imagePullPolicy": "Always" },
      },
    ]),
  });
}

const nsLabels = z.object({ labels: z.array(z.string().min(1)).min(1).default(["team"]) });

/**
 * Copies labels of the pod's Namespace to the pod (a controller's pod template), where the pod
 * has no label of that key. Gatekeeper's mutators cannot read the Namespace: skipped there.
 */
export function addNamespaceLabelsToPods(options: MutationOptions<z.input<typeof nsLabels>> = {}): MutationDefinition {
  return defineMutation({
    name: options.name ?? "add-namespace-labels-to-pods",
    title: "Add namespace labels to pods",
    description: "Copies the namespace's labels (default: team) to pods that do not set them.",
    match: { kinds: [Pod], excludeNamespaces: options.excludeNamespaces ?? SYSTEM },
    params: nsLabels,
    instances: [{ params: options.params ?? {} }],
    mutate: (p) => p.labels.map((l) => defaultLabelFromNamespace(l)),
    skip: { gatekeeper: "Gatekeeper's mutators cannot read the labels of the object's Namespace" },
    tests: casesFor(options, {}, [
      {
        name: "the namespace's team label is copied",
        resource: pod({ containers: [{ name: "a", image: "nginx:1.27" }] }),
        namespaces: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a", labels: { team: "payments" } } }],
        fields: { "metadata.labels.team": "payments" },
      },
      {
        name: "a pod's own label wins",
        resource: pod({ containers: [{ name: "a", image: "nginx:1.27" }] }, { team: "search" }),
        namespaces: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a", labels: { team: "payments" } } }],
        expect: "unchanged",
      },
      {
        name: "a namespace without the label changes nothing",
        resource: pod({ containers: [{ name: "a", image: "nginx:1.27" }] }),
        namespaces: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } }],
        expect: "unchanged",
      },
    ]),
  });
}

const requests = z.object({ cpu: z.string().default("100m"), memory: z.string().default("128Mi") });

/** Sets every container's CPU and memory requests where they are unset (the scheduler needs them). */
export function addDefaultResources(options: MutationOptions<z.input<typeof requests>> = {}): MutationDefinition {
  return defineMutation({
    name: options.name ?? "add-default-resources",
    title: "Add default resource requests",
    description: "Sets resources.requests.cpu and .memory on containers that leave them unset.",
    match: { kinds: [Pod], excludeNamespaces: options.excludeNamespaces ?? SYSTEM },
    params: requests,
    instances: [{ params: options.params ?? {} }],
    mutate: (p) => [
      forEachContainer({ lists: ["containers", "initContainers"] }, [
        setDefault("resources.requests.cpu", p.cpu),
        setDefault("resources.requests.memory", p.memory),
      ]),
    ],
    tests: casesFor(options, {}, [
      {
        name: "requests are added, what is set is kept",
        resource: pod({
          containers: [{ name: "a", image: "nginx:1.27", resources: { requests: { cpu: "2" }, limits: { memory: "1Gi" } } }],
        }),
        fields: {
          "spec.containers.0.resources.requests.cpu": "2",
          "spec.containers.0.resources.requests.memory": "128Mi",
          "spec.containers.0.resources.limits.memory": "1Gi",
        },
      },
    ]),
  });
}

const mirror = z.object({ from: z.string().default("docker.io"), to: z.string().default("mirror.example.com") });

/**
 * Moves images from one registry to a mirror (`nginx:1.27` on Docker Hub becomes
 * `mirror.example.com/library/nginx:1.27`). Gatekeeper's AssignImage sets the domain of every
 * image and cannot select images by their registry: skipped there.
 */
export function rewriteImageRegistry(options: MutationOptions<z.input<typeof mirror>> = {}): MutationDefinition {
  return defineMutation({
    name: options.name ?? "rewrite-image-registry",
    title: "Rewrite image registry",
    description: "Rewrites images of one registry (default docker.io) to a mirror.",
    match: { kinds: [Pod], excludeNamespaces: options.excludeNamespaces ?? SYSTEM },
    params: mirror,
    instances: [{ params: options.params ?? {} }],
    mutate: (p) => [forEachContainer({ lists: "all" }, [rewriteRegistry({ from: p.from, to: p.to })])],
    skip: { gatekeeper: "AssignImage sets the domain of every image at its location; it cannot select images by their current registry" },
    tests: casesFor(options, {}, [
      {
        name: "Docker Hub images move to the mirror; others stay",
        resource: pod({
          containers: [
            { name: "a", image: "nginx:1.27" },
            { name: "b", image: "docker.io/bitnami/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
            { name: "c", image: "ghcr.io/acme/api:v2" },
          ],
        }),
        fields: {
          "spec.containers.0.image": "mirror.example.com/library/nginx:1.27",
          "spec.containers.1.image":
            "mirror.example.com/bitnami/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          "spec.containers.2.image": "ghcr.io/acme/api:v2",
        },
      },
    ]),
  });
}
