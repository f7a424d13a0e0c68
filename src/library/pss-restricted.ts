/**
 * Pod Security Standards, Restricted: the controls the Restricted profile adds to Baseline, as
 * the Kubernetes documentation defines them for Kubernetes 1.35. Pods that declare
 * `spec.os.name: windows` are exempt where the profile exempts them (privilege escalation,
 * seccomp, capabilities), and pods with their own user namespace (`spec.hostUsers: false`) where
 * Kubernetes 1.35 relaxes the control (running as non-root, non-root user).
 */
import { and, definePolicy, implies, or, Pod, type PolicyDefinition } from "../sdk/index.js";
import { fromOptions, type LibraryOptions } from "./define.js";
import { container, cronJob, deployment, NOT_A_POD, pod, podSpec } from "./fixtures.js";

const CATEGORY = "Pod Security Standards (Restricted)";

/** Volume sources Restricted allows: those defined through PersistentVolumes, or local to the pod. */
export const RESTRICTED_VOLUME_TYPES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
] as const;

const WINDOWS = { os: { name: "windows" } };

/** Every volume source a Volume can name (kubernetes-models' Volume, less its name). */
const VOLUME_SOURCES = [
  "awsElasticBlockStore",
  "azureDisk",
  "azureFile",
  "cephfs",
  "cinder",
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "fc",
  "flexVolume",
  "flocker",
  "gcePersistentDisk",
  "gitRepo",
  "glusterfs",
  "hostPath",
  "image",
  "iscsi",
  "nfs",
  "persistentVolumeClaim",
  "photonPersistentDisk",
  "portworxVolume",
  "projected",
  "quobyte",
  "rbd",
  "scaleIO",
  "secret",
  "storageos",
  "vsphereVolume",
] as const;

export function restrictVolumeTypes(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-volume-types", options, [
      {
        name: "configMap, secret, PVC and projected volumes",
        resource: pod(
          podSpec({
            volumes: [
              { name: "config", configMap: { name: "shop" } },
              { name: "tls", secret: { secretName: "shop-tls" } },
              { name: "data", persistentVolumeClaim: { claimName: "shop-data" } },
              { name: "token", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
            ],
          }),
        ),
        expect: "allow",
      },
      {
        name: "an NFS volume",
        resource: pod(podSpec({ volumes: [{ name: "share", nfs: { server: "nfs.example.com", path: "/exports" } }] })),
        expect: "deny",
        message: "volume share must use one of configMap, csi, downwardAPI",
      },
      {
        name: "a hostPath volume in a CronJob",
        resource: cronJob(podSpec({ restartPolicy: "OnFailure", volumes: [{ name: "logs", hostPath: { path: "/var/log" } }] })),
        expect: "deny",
        message: "volume logs",
      },
      { name: "no volumes", resource: deployment(podSpec({ volumes: [] })), expect: "allow" },
      {
        name: "a volume naming no source: the API server makes it an emptyDir",
        resource: deployment(podSpec({ volumes: [{ name: "scratch" }] })),
        expect: "allow",
      },
      NOT_A_POD,
    ]),
    title: "Restrict volume types",
    description:
      "Volumes that reach outside the pod (NFS, iSCSI, hostPath, cloud disks mounted directly…) bypass the cluster's storage controls. Restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes; a volume naming no source is allowed, as the API server makes it an emptyDir before the Pod Security admission plugin sees it.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      p.spec.volumes.every(
        (v) =>
          or(
            v.configMap.exists(),
            v.csi.exists(),
            v.downwardAPI.exists(),
            v.emptyDir.exists(),
            v.ephemeral.exists(),
            v.image.exists(),
            v.persistentVolumeClaim.exists(),
            v.projected.exists(),
            v.secret.exists(),
            // No source at all: defaulted to emptyDir.
            and(...VOLUME_SOURCES.map((source) => v[source].absent())),
          ).message`volume ${v.name} must use one of ${RESTRICTED_VOLUME_TYPES.join(", ")}`,
      ),
  });
}

export function disallowPrivilegeEscalation(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-privilege-escalation", options, [
      { name: "allowPrivilegeEscalation: false", resource: pod(), expect: "allow" },
      {
        name: "unset (it defaults to true)",
        resource: pod(podSpec({ containers: [{ name: "app", image: "nginx" }] })),
        expect: "deny",
        message: "container app must set securityContext.allowPrivilegeEscalation=false",
      },
      {
        name: "an init container of a Deployment that allows it",
        resource: deployment(podSpec({ initContainers: [container({ securityContext: { allowPrivilegeEscalation: true } }, "setup")] })),
        expect: "deny",
        message: "container setup",
        violations: 1,
      },
      {
        name: "Windows pods are exempt",
        resource: pod(podSpec({ ...WINDOWS, containers: [{ name: "app", image: "mcr.microsoft.com/windows/nanoserver" }] })),
        expect: "skip",
      },
      NOT_A_POD,
    ]),
    title: "Disallow privilege escalation",
    description:
      "Without allowPrivilegeEscalation: false a process can gain more privileges than its parent (set-user-ID binaries, file capabilities). Restricted requires securityContext.allowPrivilegeEscalation=false in every container; Windows pods are exempt.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    rules: [
      {
        name: "disallow-privilege-escalation",
        when: (p) => p.spec.os.name.notEquals("windows"),
        assert: (p) =>
          p.spec.allContainers.every(
            (c) =>
              c.securityContext.allowPrivilegeEscalation.equals(false)
                .message`container ${c.name} must set securityContext.allowPrivilegeEscalation=false`,
          ),
      },
    ],
  });
}

export function requireRunAsNonroot(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-run-as-nonroot", options, [
      { name: "runAsNonRoot at pod level", resource: pod(podSpec({ containers: [{ name: "app", image: "nginx" }] })), expect: "allow" },
      {
        name: "neither the pod nor the container",
        resource: pod({ containers: [{ name: "app", image: "nginx" }] }),
        expect: "deny",
        message: "container app must set securityContext.runAsNonRoot=true",
      },
      {
        name: "an ephemeral container that sets false despite the pod's true",
        resource: deployment(podSpec({ ephemeralContainers: [container({ securityContext: { runAsNonRoot: false } }, "debug")] })),
        expect: "deny",
        message: "container debug",
        violations: 1,
      },
      {
        name: "the pod sets false",
        resource: pod(podSpec({ securityContext: { runAsNonRoot: false } })),
        expect: "deny",
        message: "pod must not set securityContext.runAsNonRoot=false",
      },
      {
        name: "a pod with its own user namespace (hostUsers: false) is exempt from Kubernetes 1.35",
        resource: pod({ hostUsers: false, containers: [{ name: "app", image: "nginx" }] }),
        expect: "skip",
      },
      NOT_A_POD,
    ]),
    title: "Require running as non-root",
    description:
      "A container running as root is one kernel bug away from root on the node. Restricted requires runAsNonRoot=true, at pod level (containers may then leave it unset, but not false) or in every container; pods with their own user namespace are exempt.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    rules: [
      {
        name: "require-run-as-nonroot",
        when: (p) => p.spec.hostUsers.notEquals(false),
        assert: (p) =>
          and(
            p.spec.securityContext.runAsNonRoot.notEquals(false).message`pod must not set securityContext.runAsNonRoot=false`,
            p.spec.allContainers.every(
              (c) =>
                or(
                  c.securityContext.runAsNonRoot.equals(true),
                  and(c.securityContext.runAsNonRoot.notEquals(false), p.spec.securityContext.runAsNonRoot.equals(true)),
                ).message`container ${c.name} must set securityContext.runAsNonRoot=true`,
            ),
          ),
      },
    ],
  });
}

export function requireRunAsNonRootUser(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("require-run-as-non-root-user", options, [
      { name: "UID 1000", resource: pod(podSpec({ securityContext: { runAsNonRoot: true, runAsUser: 1000 } })), expect: "allow" },
      {
        name: "UID 0 at pod level",
        resource: pod(podSpec({ securityContext: { runAsUser: 0 } })),
        expect: "deny",
        message: "pod must not set securityContext.runAsUser=0",
      },
      {
        name: "unset is allowed; an init container of a CronJob with UID 0 is not",
        resource: cronJob(
          podSpec({ restartPolicy: "OnFailure", initContainers: [container({ securityContext: { runAsUser: 0 } }, "setup")] }),
        ),
        expect: "deny",
        message: "container setup must not set securityContext.runAsUser=0",
        violations: 1,
      },
      {
        name: "a pod with its own user namespace (hostUsers: false) is exempt from Kubernetes 1.35",
        resource: pod(podSpec({ hostUsers: false, securityContext: { runAsUser: 0 } })),
        expect: "skip",
      },
      NOT_A_POD,
    ]),
    title: "Require a non-root user",
    description:
      "UID 0 inside a container is root on the node if the container escapes. Restricted forbids runAsUser=0 at pod level and in every container (unset is allowed); pods with their own user namespace are exempt.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    rules: [
      {
        name: "require-run-as-non-root-user",
        when: (p) => p.spec.hostUsers.notEquals(false),
        assert: (p) =>
          and(
            p.spec.securityContext.runAsUser.notEquals(0).message`pod must not set securityContext.runAsUser=0`,
            p.spec.allContainers.every(
              (c) => c.securityContext.runAsUser.notEquals(0).message`container ${c.name} must not set securityContext.runAsUser=0`,
            ),
          ),
      },
    ],
  });
}

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"] as const;

export function restrictSeccompStrict(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-seccomp-strict", options, [
      { name: "RuntimeDefault at pod level", resource: pod(podSpec({ containers: [{ name: "app", image: "nginx" }] })), expect: "allow" },
      {
        name: "no profile anywhere",
        resource: pod({ containers: [{ name: "app", image: "nginx" }] }),
        expect: "deny",
        message: 'container app must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
      },
      {
        name: "each container sets Localhost, but an init container of a Deployment is Unconfined",
        resource: deployment({
          securityContext: { runAsNonRoot: true },
          containers: [container({ securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "shop.json" } } })],
          initContainers: [container({ securityContext: { seccompProfile: { type: "Unconfined" } } }, "setup")],
        }),
        expect: "deny",
        message: "container setup",
        violations: 1,
      },
      {
        name: "pod-level Unconfined",
        resource: pod(podSpec({ securityContext: { seccompProfile: { type: "Unconfined" } } })),
        expect: "deny",
        message: "pod must not set securityContext.seccompProfile.type to Unconfined",
      },
      {
        name: "Windows pods are exempt",
        resource: pod({ ...WINDOWS, containers: [{ name: "app", image: "nanoserver" }] }),
        expect: "skip",
      },
      NOT_A_POD,
    ]),
    title: "Require a seccomp profile",
    description:
      "Restricted requires a seccomp profile: seccompProfile.type must be RuntimeDefault or Localhost at pod level (containers may then leave it unset) or in every container, and never anything else; Windows pods are exempt.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    rules: [
      {
        name: "restrict-seccomp-strict",
        when: (p) => p.spec.os.name.notEquals("windows"),
        assert: (p) =>
          and(
            implies(p.spec.securityContext.seccompProfile.exists(), p.spec.securityContext.seccompProfile.type.oneOf(SECCOMP_TYPES))
              .message`pod must not set securityContext.seccompProfile.type to ${p.spec.securityContext.seccompProfile.type}`,
            p.spec.allContainers.every(
              (c) =>
                or(
                  c.securityContext.seccompProfile.type.oneOf(SECCOMP_TYPES),
                  and(c.securityContext.seccompProfile.absent(), p.spec.securityContext.seccompProfile.type.oneOf(SECCOMP_TYPES)),
                ).message`container ${c.name} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
            ),
          ),
      },
    ],
  });
}

export function disallowCapabilitiesStrict(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-capabilities-strict", options, [
      {
        name: "drops ALL, adds NET_BIND_SERVICE",
        resource: pod(
          podSpec({ containers: [container({ securityContext: { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } })] }),
        ),
        expect: "allow",
      },
      {
        name: "does not drop ALL",
        resource: pod(podSpec({ containers: [container({ securityContext: { capabilities: { drop: ["NET_RAW"] } } })] })),
        expect: "deny",
        message: 'container app must set securityContext.capabilities.drop=["ALL"]',
      },
      {
        name: "an ephemeral container of a Deployment adds CHOWN",
        resource: deployment(
          podSpec({ ephemeralContainers: [container({ securityContext: { capabilities: { drop: ["ALL"], add: ["CHOWN"] } } }, "debug")] }),
        ),
        expect: "deny",
        message: "container debug must not add capability CHOWN",
        violations: 1,
      },
      {
        name: "Windows pods are exempt",
        resource: pod({ ...WINDOWS, containers: [{ name: "app", image: "nanoserver" }] }),
        expect: "skip",
      },
      NOT_A_POD,
    ]),
    title: "Drop all capabilities",
    description:
      "Restricted requires every container to drop ALL capabilities and to add back at most NET_BIND_SERVICE; Windows pods are exempt.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    rules: [
      {
        name: "disallow-capabilities-strict",
        when: (p) => p.spec.os.name.notEquals("windows"),
        assert: (p) =>
          p.spec.allContainers.every((c) =>
            and(
              c.securityContext.capabilities.drop.includes("ALL")
                .message`container ${c.name} must set securityContext.capabilities.drop=["ALL"]`,
              c.securityContext.capabilities.add.every(
                (cap) => cap.equals("NET_BIND_SERVICE").message`container ${c.name} must not add capability ${cap}`,
              ),
            ),
          ),
      },
    ],
  });
}

export function disallowProcMountStrict(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-proc-mount-strict", options, [
      { name: "unset", resource: pod(), expect: "allow" },
      {
        name: "Default",
        resource: pod(podSpec({ containers: [container({ securityContext: { procMount: "Default" } })] })),
        expect: "allow",
      },
      {
        name: "Unmasked, even in a pod with its own user namespace",
        resource: deployment(podSpec({ hostUsers: false, containers: [container({ securityContext: { procMount: "Unmasked" } })] })),
        expect: "deny",
        message: "container app must not set securityContext.procMount to Unmasked",
      },
      {
        name: "Unmasked in an init container of a CronJob",
        resource: cronJob(
          podSpec({ restartPolicy: "OnFailure", initContainers: [container({ securityContext: { procMount: "Unmasked" } }, "setup")] }),
        ),
        expect: "deny",
        message: "container setup must not set securityContext.procMount to Unmasked",
      },
      NOT_A_POD,
    ]),
    title: "Disallow unmasked /proc mounts (Restricted)",
    description:
      "Restricted requires securityContext.procMount to be unset or Default in every container, with no exception for pods with their own user namespace (the Baseline control allows Unmasked there since Kubernetes 1.35; Restricted does not).",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) =>
          or(c.securityContext.procMount.absent(), c.securityContext.procMount.equals("Default"))
            .message`container ${c.name} must not set securityContext.procMount to ${c.securityContext.procMount}`,
      ),
  });
}
