/**
 * Workload policies: image provenance, resources, probes, hardening, labels, secrets. Each
 * applies to Pods and, through their pod templates, to every pod controller (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). Those about how an application is built and
 * run leave kube-system out by default (the cluster's own components are managed with it); those
 * about secrets and immutable labels apply everywhere.
 */
import { z } from "zod";
import {
  and,
  concat,
  CronJob,
  DaemonSet,
  definePolicy,
  Deployment,
  image,
  implies,
  Job,
  or,
  Pod,
  ReplicaSet,
  SdkError,
  StatefulSet,
  type PolicyDefinition,
} from "../sdk/index.js";
import { exclusions, fromOptions, SYSTEM_NAMESPACES, type LibraryOptions, type RequiredParams } from "./define.js";
import { configMap, container, cronJob, deployment, leftOutInKubeSystem, NOT_A_POD, pod, podSpec } from "./fixtures.js";

const IMAGES = "Image provenance";
const HARDENING = "Workload hardening";
const PRACTICES = "Best practices";

export function disallowLatestTag(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-latest-tag", options, [
      { name: "a version tag and a digest", resource: pod(), expect: "allow" },
      {
        name: "the latest tag",
        resource: pod(podSpec({ containers: [container({ image: "nginx:latest" })] })),
        expect: "deny",
        message: "container app uses image nginx:latest, whose tag is latest",
      },
      {
        name: "no tag means latest, in an init container of a Deployment; a digest alone is pinned",
        resource: deployment(
          podSpec({
            initContainers: [container({ image: "busybox" }, "setup")],
            containers: [container({ image: "ghcr.io/example/app@sha256:" + "a".repeat(64) })],
          }),
        ),
        expect: "deny",
        message: "container setup uses image busybox",
        violations: 1,
      },
      leftOutInKubeSystem(pod(podSpec({ containers: [container({ image: "nginx" })] }), { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Disallow the latest tag",
    description:
      "An image by the latest tag (or no tag, which means latest) can change under a running workload and cannot be rolled back. Every container must name a tag other than latest, or a digest.",
    category: IMAGES,
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) => image(c.image).tag.notEquals("latest").message`container ${c.name} uses image ${c.image}, whose tag is latest`,
      ),
  });
}

const registryList = z
  .array(
    z
      .string()
      .min(1)
      .regex(/^[^\s/][^\s]*$/, "a registry (registry.example.com) or a repository prefix (ghcr.io/example)")
      // Matched at a path boundary: "ghcr.io/example" allows ghcr.io/example/app, not ghcr.io/example-other.
      .transform((s) => (s.endsWith("/") ? s : `${s}/`)),
  )
  .min(1);

export interface RegistriesParams {
  /** Allowed registries (`registry.example.com`) or repository prefixes (`ghcr.io/example`), normalised as the runtime names images (`docker.io/library/nginx`). */
  readonly registries: string[];
}

/** The example values `policies/` uses and the library's own cases assume. */
export const EXAMPLE_REGISTRIES: RegistriesParams = { registries: ["registry.example.com", "ghcr.io/example"] };

export function restrictImageRegistries(options: RequiredParams<RegistriesParams>): PolicyDefinition {
  return definePolicy({
    ...fromOptions(
      "restrict-image-registries",
      options,
      [
        { name: "an allowed registry", resource: pod(), expect: "allow" },
        {
          name: "Docker Hub (nginx is docker.io/library/nginx)",
          resource: pod(podSpec({ containers: [container({ image: "nginx:1.27" })] })),
          expect: "deny",
          message: "container app uses image nginx:1.27, from docker.io/library/nginx, which is not an allowed registry",
        },
        {
          name: "a lookalike prefix in an ephemeral container; an allowed repository prefix",
          resource: deployment(
            podSpec({
              containers: [container({ image: "ghcr.io/example/app:2.0" })],
              ephemeralContainers: [container({ image: "ghcr.io/example-evil/debug:1.0" }, "debug")],
            }),
          ),
          expect: "deny",
          message: "container debug",
          violations: 1,
        },
        leftOutInKubeSystem(pod(podSpec({ containers: [container({ image: "nginx" })] }), { namespace: "kube-system" })),
        NOT_A_POD,
      ],
      EXAMPLE_REGISTRIES,
    ),
    title: "Restrict image registries",
    description:
      "Images from anywhere are software from anyone. Every container's image must come from one of the allowed registries or repository prefixes (a required parameter), compared on the image name as the container runtime normalises it.",
    category: IMAGES,
    severity: "high",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    params: z.object({ registries: registryList }),
    validate: (p, params) =>
      p.spec.allContainers.every(
        (c) =>
          // name/: a prefix matches at a path boundary (the parameter's entries end with /).
          concat(image(c.image).name, "/").startsWith(params.registries)
            .message`container ${c.name} uses image ${c.image}, from ${image(c.image).name}, which is not an allowed registry`,
      ),
  });
}

/** A digest as the OCI image spec writes it: `algorithm:hex`. */
const DIGEST = "^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$";

export function requireImageDigest(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-image-digest", options, [
      { name: "pinned by digest", resource: pod(), expect: "allow" },
      {
        name: "a tag only",
        resource: pod(podSpec({ containers: [container({ image: "registry.example.com/shop/app:1.4.2" })] })),
        expect: "deny",
        message: "container app uses image registry.example.com/shop/app:1.4.2, which is not pinned by digest",
      },
      {
        name: "a CronJob's init container without a digest",
        resource: cronJob(podSpec({ restartPolicy: "OnFailure", initContainers: [container({ image: "busybox:1.36" }, "setup")] })),
        expect: "deny",
        message: "container setup",
        violations: 1,
      },
      leftOutInKubeSystem(pod(podSpec({ containers: [container({ image: "nginx" })] }), { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Require image digests",
    description:
      "A tag can be moved to other content; a digest cannot. Every container's image must be pinned by digest (name@sha256:…), so what runs is what was reviewed.",
    category: IMAGES,
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) => image(c.image).digest.matches(DIGEST).message`container ${c.name} uses image ${c.image}, which is not pinned by digest`,
      ),
  });
}

/**
 * requirePodRequestsLimits' caps on the limits, each a quantity; left out: no cap. They decide
 * which rules the policy has (a cap left out is no rule at all, on every target), so they are
 * build-time parameters: one value per policy, given as `params` (or, as before, at the top level);
 * `instances` with different caps are refused: name two policies instead.
 */
export interface RequestsLimitsParams {
  /** Largest CPU limit a container may set (a quantity, e.g. "2"). */
  readonly maxCpu?: string;
  /** Largest memory limit a container may set (a quantity, e.g. "4Gi"). */
  readonly maxMemory?: string;
}

export function requirePodRequestsLimits(options: LibraryOptions<RequestsLimitsParams> & RequestsLimitsParams = {}): PolicyDefinition {
  if (options.instances)
    throw new SdkError(
      "invalid_params",
      "requirePodRequestsLimits' caps decide its rules, so it has one instance: give params, or define two policies with their own names",
    );
  const caps = { maxCpu: options.params?.maxCpu ?? options.maxCpu, maxMemory: options.params?.maxMemory ?? options.maxMemory };
  const { params: _caps, instances: _none, ...rest } = options;
  const maxima = [
    ...(caps.maxCpu !== undefined ? [["cpu", caps.maxCpu] as const] : []),
    ...(caps.maxMemory !== undefined ? [["memory", caps.maxMemory] as const] : []),
  ];
  return definePolicy({
    ...fromOptions("require-pod-requests-limits", rest as LibraryOptions, [
      { name: "requests and a memory limit", resource: pod(), expect: "allow" },
      {
        name: "no memory limit",
        resource: pod(podSpec({ containers: [container({ resources: { requests: { cpu: "100m", memory: "128Mi" } } })] })),
        expect: "deny",
        message: "container app must set resources.limits.memory",
      },
      {
        name: "an init container of a Deployment without requests",
        resource: deployment(podSpec({ initContainers: [container({ resources: {} }, "setup")] })),
        expect: "deny",
        message: "container setup must set resources.requests.cpu",
      },
      leftOutInKubeSystem(pod(podSpec({ containers: [{ name: "app", image: "nginx" }] }), { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Require resource requests and limits",
    description:
      "Without requests the scheduler cannot place a pod well; without a memory limit one container can starve the node. Every container and init container must set requests.cpu, requests.memory and limits.memory" +
      (maxima.length
        ? `, with limits of at most ${maxima.map(([r, q]) => `${q} ${r}`).join(" and ")}.`
        : ". The maxCpu and maxMemory parameters cap the limits too (none by default)."),
    category: "Resources",
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    rules: (rule) => [
      rule({
        name: "requests-limits",
        assert: (p) =>
          and(
            ...[p.spec.containers, p.spec.initContainers].map((list) =>
              list.every((c) =>
                and(
                  c.resources.requests.at("cpu").exists().message`container ${c.name} must set resources.requests.cpu`,
                  c.resources.requests.at("memory").exists().message`container ${c.name} must set resources.requests.memory`,
                  c.resources.limits.at("memory").exists().message`container ${c.name} must set resources.limits.memory`,
                ),
              ),
            ),
          ),
      }),
      ...maxima.map(([resource, max]) =>
        rule({
          name: `max-${resource}`,
          assert: (p) =>
            and(
              ...[p.spec.containers, p.spec.initContainers].map((list) =>
                list.every(
                  (c) =>
                    implies(c.resources.limits.at(resource).exists(), c.resources.limits.at(resource).quantity().lte(max))
                      .message`container ${c.name} must not set resources.limits.${resource} above ${max}`,
                ),
              ),
            ),
        }),
      ),
    ],
  });
}

export function requireProbes(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-probes", options, [
      { name: "readiness and liveness probes", resource: pod(), expect: "allow" },
      {
        name: "no liveness probe",
        resource: pod(podSpec({ containers: [container({ livenessProbe: undefined })] })),
        expect: "deny",
        message: "container app must have a livenessProbe",
      },
      {
        name: "a Deployment whose second container has no probes",
        resource: deployment(podSpec({ containers: [container(), { name: "sidecar", image: "registry.example.com/proxy:1.0" }] })),
        expect: "deny",
        message: "container sidecar must have a readinessProbe",
        violations: 2,
      },
      {
        name: "pods that run to completion (a CronJob's) need no probes",
        resource: cronJob(podSpec({ restartPolicy: "OnFailure", containers: [{ name: "report", image: "nginx" }] })),
        expect: "skip",
      },
      NOT_A_POD,
    ]),
    title: "Require readiness and liveness probes",
    description:
      "Without a readiness probe traffic reaches a container before it can serve; without a liveness probe a hung container is never restarted. Every container of a long-running pod (restartPolicy Always) must have both; init and ephemeral containers, and pods that run to completion, are exempt.",
    category: PRACTICES,
    severity: "low",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    rules: [
      {
        name: "require-probes",
        when: (p) => p.spec.restartPolicy.notOneOf(["OnFailure", "Never"]),
        assert: (p) =>
          p.spec.containers.every((c) =>
            and(
              c.readinessProbe.exists().message`container ${c.name} must have a readinessProbe`,
              c.livenessProbe.exists().message`container ${c.name} must have a livenessProbe`,
            ),
          ),
      },
    ],
  });
}

export function requireRoRootfs(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-ro-rootfs", options, [
      { name: "read-only root filesystem", resource: pod(), expect: "allow" },
      {
        name: "unset",
        resource: pod(podSpec({ containers: [{ name: "app", image: "nginx" }] })),
        expect: "deny",
        message: "container app must set securityContext.readOnlyRootFilesystem=true",
      },
      {
        name: "an init container of a CronJob that sets false",
        resource: cronJob(
          podSpec({
            restartPolicy: "OnFailure",
            initContainers: [container({ securityContext: { readOnlyRootFilesystem: false } }, "setup")],
          }),
        ),
        expect: "deny",
        message: "container setup",
        violations: 1,
      },
      leftOutInKubeSystem(pod(podSpec({ containers: [{ name: "app", image: "nginx" }] }), { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Require a read-only root filesystem",
    description:
      "A writable root filesystem lets an intruder change the container's binaries and drop tools. Every container must set securityContext.readOnlyRootFilesystem=true (write to mounted volumes instead).",
    category: HARDENING,
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) =>
          c.securityContext.readOnlyRootFilesystem.equals(true)
            .message`container ${c.name} must set securityContext.readOnlyRootFilesystem=true`,
      ),
  });
}

export function requireDropAll(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-drop-all", options, [
      { name: "drops ALL", resource: pod(), expect: "allow" },
      {
        name: "drops some",
        resource: pod(podSpec({ containers: [container({ securityContext: { capabilities: { drop: ["NET_RAW", "SYS_ADMIN"] } } })] })),
        expect: "deny",
        message: "container app must drop ALL capabilities",
      },
      {
        name: "no securityContext in an ephemeral container of a Deployment",
        resource: deployment(podSpec({ ephemeralContainers: [{ name: "debug", image: "busybox" }] })),
        expect: "deny",
        message: "container debug",
        violations: 1,
      },
      leftOutInKubeSystem(pod(podSpec({ containers: [{ name: "app", image: "nginx" }] }), { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Require dropping all capabilities",
    description:
      "Containers get a default set of Linux capabilities most never need. Every container must drop ALL (securityContext.capabilities.drop) and add back only what it uses.",
    category: HARDENING,
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) => c.securityContext.capabilities.drop.includes("ALL").message`container ${c.name} must drop ALL capabilities`,
      ),
  });
}

/** Pods, and the controllers that make them, read as themselves (not as their pod templates). */
const WORKLOAD_KINDS = [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob] as const;

export function disallowDefaultNamespace(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-default-namespace", options, [
      { name: "a team namespace", resource: pod(), expect: "allow" },
      {
        name: "a Pod in default",
        resource: pod(podSpec(), { namespace: "default" }),
        expect: "deny",
        message: "Pod shop must not be created in the default namespace",
      },
      {
        name: "a CronJob in default",
        resource: cronJob(podSpec({ restartPolicy: "OnFailure" }), { namespace: "default" }),
        expect: "deny",
        message: "CronJob report",
      },
      { name: "not a workload", resource: { ...configMap(), metadata: { name: "settings", namespace: "default" } }, expect: "skip" },
    ]),
    title: "Disallow the default namespace",
    description:
      "Workloads in the default namespace escape the quotas, network policies and access rules teams set on their own namespaces. Pods and pod controllers must not be created in default.",
    category: PRACTICES,
    severity: "low",
    match: { kinds: WORKLOAD_KINDS, ...exclusions(options) },
    podControllers: false,
    validate: (w) =>
      w.metadata.namespace.notEquals("default").message`${w.kind} ${w.metadata.name} must not be created in the default namespace`,
  });
}

export interface LabelsParams {
  /** Labels every pod must carry, each with an RE2 pattern its value must match. */
  readonly required?: { key: string; pattern: string }[];
}

const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

export function requireLabels(options: LibraryOptions<LabelsParams> = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-labels", options, [
      { name: "labelled", resource: pod(), expect: "allow" },
      {
        name: "missing",
        resource: pod(podSpec(), { labels: { app: "shop" } }),
        expect: "deny",
        message: "label app.kubernetes.io/name must be set to a value matching ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
      },
      {
        name: "a Deployment's pod template with a value that is not a DNS label (the Deployment's own labels do not count)",
        resource: deployment(podSpec(), { labels: { "app.kubernetes.io/name": "Shop_Front" } }),
        expect: "deny",
        message: "label app.kubernetes.io/name",
      },
      leftOutInKubeSystem(pod(podSpec(), { namespace: "kube-system", labels: {} })),
      NOT_A_POD,
    ]),
    title: "Require labels",
    description:
      "Tools group, select and bill workloads by their labels. Every pod (and pod template) must carry each required label, with a value matching its pattern (default: app.kubernetes.io/name, a DNS label).",
    category: PRACTICES,
    severity: "low",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    params: z.object({
      required: z
        .array(z.object({ key: z.string().min(1), pattern: z.string().min(1) }))
        .default([{ key: "app.kubernetes.io/name", pattern: DNS_LABEL }]),
    }),
    validate: (p, params) =>
      params.required.every(
        (r) => p.metadata.labels.at(r.key).matches(r.pattern).message`label ${r.key} must be set to a value matching ${r.pattern}`,
      ),
  });
}

export function restrictSaAutomountSaToken(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-sa-automount-sa-token", options, [
      { name: "token not mounted", resource: pod(), expect: "allow" },
      {
        name: "unset (mounted by default)",
        resource: pod(podSpec({ automountServiceAccountToken: undefined })),
        expect: "deny",
        message: "pod must set automountServiceAccountToken=false",
      },
      {
        name: "a Deployment that mounts it",
        resource: deployment(podSpec({ automountServiceAccountToken: true })),
        expect: "deny",
        message: "automountServiceAccountToken",
      },
      leftOutInKubeSystem(pod(podSpec({ automountServiceAccountToken: true }), { namespace: "kube-system" })),
      NOT_A_POD,
    ]),
    title: "Do not mount service account tokens",
    description:
      "A mounted service account token is an API credential for anyone inside the container. Pods must set automountServiceAccountToken=false; those that call the API mount a projected token explicitly.",
    category: HARDENING,
    severity: "medium",
    match: { kinds: [Pod], ...exclusions(options, SYSTEM_NAMESPACES) },
    validate: (p) => p.spec.automountServiceAccountToken.equals(false).message`pod must set automountServiceAccountToken=false`,
  });
}

const CREDENTIAL_NAMES = "(?i)(passw(or)?d|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential)";

export function disallowSecretsFromEnvVars(options: LibraryOptions<{ namePattern?: string }> = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-secrets-from-env-vars", options, [
      {
        name: "a password read from a Secret, a literal log level",
        resource: pod(
          podSpec({
            containers: [
              container({
                env: [
                  { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
                  { name: "LOG_LEVEL", value: "info" },
                ],
              }),
            ],
          }),
        ),
        expect: "allow",
      },
      {
        name: "a literal API key",
        resource: pod(podSpec({ containers: [container({ env: [{ name: "STRIPE_API_KEY", value: "sk_live_123" }] })] })),
        expect: "deny",
        message: "container app sets STRIPE_API_KEY to a literal value; read it from a Secret",
      },
      {
        name: "an init container of a Deployment with a literal token; an empty value is fine",
        resource: deployment(
          podSpec({
            containers: [container({ env: [{ name: "TOKEN_TTL", value: "" }] })],
            initContainers: [container({ env: [{ name: "GITHUB_TOKEN", value: "ghp_x" }] }, "setup")],
          }),
        ),
        expect: "deny",
        message: "container setup sets GITHUB_TOKEN",
        violations: 1,
      },
      NOT_A_POD,
    ]),
    title: "Disallow secrets in environment variables",
    description:
      "A credential written into a manifest is readable by everyone who can read the workload, and ends up in Git. Environment variables whose names look like credentials (namePattern, RE2) must be read from a Secret (valueFrom), not given a literal value.",
    category: "Secrets",
    severity: "high",
    match: { kinds: [Pod], ...exclusions(options) },
    params: z.object({ namePattern: z.string().min(1).default(CREDENTIAL_NAMES) }),
    validate: (p, params) =>
      p.spec.allContainers.every((c) =>
        c.env.every(
          (e) =>
            implies(e.name.matches(params.namePattern), or(e.value.absent(), e.value.equals("")))
              .message`container ${c.name} sets ${e.name} to a literal value; read it from a Secret`,
        ),
      ),
  });
}

export function immutableLabels(options: LibraryOptions<{ keys?: string[] }> = {}): PolicyDefinition {
  const labelled = (value: string | undefined) =>
    deployment(
      podSpec(),
      {},
      { labels: value === undefined ? {} : { "app.kubernetes.io/name": "shop", "app.kubernetes.io/part-of": value } },
    );
  return definePolicy({
    ...fromOptions("immutable-labels", options, [
      { name: "unchanged", resource: labelled("shop"), oldResource: labelled("shop"), operation: "UPDATE", expect: "allow" },
      {
        name: "changed",
        resource: labelled("checkout"),
        oldResource: labelled("shop"),
        operation: "UPDATE",
        expect: "deny",
        message: "label app.kubernetes.io/part-of may not change (it was shop)",
      },
      {
        name: "removed",
        resource: labelled(undefined),
        oldResource: labelled("shop"),
        operation: "UPDATE",
        expect: "deny",
        message: "app.kubernetes.io/part-of",
      },
      { name: "added later", resource: labelled("shop"), oldResource: labelled(undefined), operation: "UPDATE", expect: "allow" },
      { name: "created", resource: labelled("shop"), expect: "allow" },
      { name: "not a workload", resource: configMap(), operation: "UPDATE", oldResource: configMap(), expect: "skip" },
    ]),
    title: "Immutable labels",
    description:
      "Ownership and cost labels that change after creation break the reports and selectors built on them. On UPDATE, each listed label key a Pod or pod controller had must keep its value (it may be added, not changed or removed). Admission-only: background scans and audits skip it.",
    category: PRACTICES,
    severity: "medium",
    match: { kinds: WORKLOAD_KINDS, ...exclusions(options) },
    podControllers: false,
    params: z.object({ keys: z.array(z.string().min(1)).default(["app.kubernetes.io/part-of", "app.kubernetes.io/name"]) }),
    validate: (w, params, { old, operation }) =>
      params.keys.every(
        (k) =>
          implies(
            and(operation.equals("UPDATE"), old.metadata.labels.at(k).exists()),
            w.metadata.labels.at(k).equals(old.metadata.labels.at(k)),
          ).message`label ${k} may not change (it was ${old.metadata.labels.at(k)})`,
      ),
  });
}
