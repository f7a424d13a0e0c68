/**
 * Pod Security Standards, Baseline: one policy per control, as the Kubernetes documentation
 * defines them for Kubernetes 1.35 (and the PodSecurity admission plugin checks them): every
 * field path it lists, at pod level and for containers, init containers and ephemeral
 * containers, with exactly the allowed values.
 */
import { z } from "zod";
import { and, definePolicy, implies, or, Pod, type PolicyDefinition, type StringRef } from "../sdk/index.js";
import { fromOptions, type LibraryOptions } from "./define.js";
import { container, cronJob, deployment, NOT_A_POD, pod, podSpec } from "./fixtures.js";

const CATEGORY = "Pod Security Standards (Baseline)";

/** The field is unset or the empty string (Go's zero value, which the API leaves out). */
const unsetOrEmpty = (f: StringRef) => or(f.absent(), f.equals(""));
/** The field is unset or one of the allowed values. */
const unsetOrOneOf = (f: StringRef, allowed: readonly string[]) => or(f.absent(), f.oneOf(allowed));

export function disallowHostProcess(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-host-process", options, [
      { name: "no HostProcess", resource: pod(), expect: "allow" },
      {
        name: "pod-level hostProcess",
        resource: pod(podSpec({ securityContext: { windowsOptions: { hostProcess: true } } })),
        expect: "deny",
        message: "pod must not set securityContext.windowsOptions.hostProcess=true",
      },
      {
        name: "an ephemeral container with hostProcess: false is allowed; an init container with true is not",
        resource: deployment(
          podSpec({
            initContainers: [container({ securityContext: { windowsOptions: { hostProcess: true } } }, "setup")],
            ephemeralContainers: [container({ securityContext: { windowsOptions: { hostProcess: false } } }, "debug")],
          }),
        ),
        expect: "deny",
        message: "container setup must not set securityContext.windowsOptions.hostProcess=true",
        violations: 1,
      },
      NOT_A_POD,
    ]),
    title: "Disallow HostProcess containers",
    description:
      "Windows HostProcess containers run on the node with full access to it. Baseline forbids them: spec.securityContext.windowsOptions.hostProcess and every container's must be unset or false.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Pod] },
    rules: [
      {
        name: "pod",
        assert: (p) => p.spec.securityContext.windowsOptions.hostProcess.notEquals(true),
        message: "pod must not set securityContext.windowsOptions.hostProcess=true",
      },
      {
        name: "containers",
        assert: (p) =>
          p.spec.allContainers.every(
            (c) =>
              c.securityContext.windowsOptions.hostProcess.notEquals(true)
                .message`container ${c.name} must not set securityContext.windowsOptions.hostProcess=true`,
          ),
      },
    ],
  });
}

export function disallowHostNamespaces(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-host-namespaces", options, [
      { name: "own namespaces", resource: pod(), expect: "allow" },
      { name: "hostNetwork", resource: pod(podSpec({ hostNetwork: true })), expect: "deny", message: "must not set hostNetwork=true" },
      {
        name: "a CronJob sharing the host's PID and IPC namespaces; hostNetwork: false is allowed",
        resource: cronJob(podSpec({ hostPID: true, hostIPC: true, hostNetwork: false, restartPolicy: "OnFailure" })),
        expect: "deny",
        message: "must not set hostIPC=true",
        violations: 2,
      },
      NOT_A_POD,
    ]),
    title: "Disallow host namespaces",
    description:
      "Sharing the node's network, process or IPC namespace lets a pod see and reach what it should not. Baseline requires spec.hostNetwork, spec.hostPID and spec.hostIPC to be unset or false.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Pod] },
    validate: (p) =>
      and(
        p.spec.hostNetwork.notEquals(true).message`pod must not set hostNetwork=true`,
        p.spec.hostPID.notEquals(true).message`pod must not set hostPID=true`,
        p.spec.hostIPC.notEquals(true).message`pod must not set hostIPC=true`,
      ),
  });
}

export function disallowPrivilegedContainers(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-privileged-containers", options, [
      { name: "unprivileged", resource: pod(), expect: "allow" },
      {
        name: "privileged container",
        resource: pod(podSpec({ containers: [container({ securityContext: { privileged: true } })] })),
        expect: "deny",
        message: "container app must not set securityContext.privileged=true",
      },
      {
        name: "a privileged ephemeral container in a Deployment",
        resource: deployment(podSpec({ ephemeralContainers: [container({ securityContext: { privileged: true } }, "debug")] })),
        expect: "deny",
        message: "container debug",
      },
      {
        name: "privileged: false, and no securityContext at all",
        resource: pod(podSpec({ containers: [container({ securityContext: { privileged: false } }), { name: "bare", image: "nginx" }] })),
        expect: "allow",
      },
      NOT_A_POD,
    ]),
    title: "Disallow privileged containers",
    description:
      "A privileged container has every capability and the node's devices: most isolation is off. Baseline requires securityContext.privileged to be unset or false in every container.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Pod] },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) => c.securityContext.privileged.notEquals(true).message`container ${c.name} must not set securityContext.privileged=true`,
      ),
  });
}

/** The capabilities Baseline allows a container to add (the container runtime's default set). */
export const BASELINE_CAPABILITIES = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
] as const;

export function disallowCapabilities(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-capabilities", options, [
      {
        name: "adds only default capabilities",
        resource: pod(podSpec({ containers: [container({ securityContext: { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"] } } })] })),
        expect: "allow",
      },
      {
        name: "adds NET_ADMIN",
        resource: pod(podSpec({ containers: [container({ securityContext: { capabilities: { add: ["NET_ADMIN"] } } })] })),
        expect: "deny",
        message: "container app must not add capability NET_ADMIN",
      },
      {
        name: "an init container adding SYS_ADMIN; an empty add list is fine",
        resource: deployment(
          podSpec({
            initContainers: [container({ securityContext: { capabilities: { add: ["SYS_ADMIN"] } } }, "setup")],
            containers: [container({ securityContext: { capabilities: { add: [] } } })],
          }),
        ),
        expect: "deny",
        message: "container setup must not add capability SYS_ADMIN",
        violations: 1,
      },
      NOT_A_POD,
    ]),
    title: "Disallow adding capabilities",
    description:
      "Capabilities beyond the container runtime's default set (such as NET_ADMIN or SYS_ADMIN) grant kernel privileges. Baseline allows securityContext.capabilities.add to list only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Pod] },
    validate: (p) =>
      p.spec.allContainers.every((c) =>
        c.securityContext.capabilities.add.every(
          (cap) => cap.oneOf(BASELINE_CAPABILITIES).message`container ${c.name} must not add capability ${cap}`,
        ),
      ),
  });
}

export function disallowHostPath(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-host-path", options, [
      { name: "emptyDir", resource: pod(podSpec({ volumes: [{ name: "cache", emptyDir: {} }] })), expect: "allow" },
      {
        name: "hostPath",
        resource: pod(podSpec({ volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] })),
        expect: "deny",
        message: "volume docker must not use hostPath",
      },
      { name: "no volumes at all, in a CronJob", resource: cronJob(), expect: "allow" },
      NOT_A_POD,
    ]),
    title: "Disallow hostPath volumes",
    description:
      "A hostPath volume mounts the node's filesystem into the pod, a common way out of the container. Baseline requires spec.volumes[*].hostPath to be unset.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Pod] },
    validate: (p) => p.spec.volumes.every((v) => v.hostPath.absent().message`volume ${v.name} must not use hostPath`),
  });
}

export function disallowHostPorts(options: LibraryOptions<{ allowedPorts?: number[] }> = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-host-ports", options, [
      {
        name: "container ports only",
        resource: pod(podSpec({ containers: [container({ ports: [{ containerPort: 8080 }] })] })),
        expect: "allow",
      },
      {
        name: "a hostPort",
        resource: pod(podSpec({ containers: [container({ ports: [{ containerPort: 8080, hostPort: 80 }] })] })),
        expect: "deny",
        message: "container app must not use hostPort 80",
      },
      {
        name: "hostPort 0 means none; an init container's hostPort counts",
        resource: deployment(
          podSpec({
            containers: [container({ ports: [{ containerPort: 8080, hostPort: 0 }] })],
            initContainers: [container({ ports: [{ containerPort: 9090, hostPort: 9090 }] }, "setup")],
          }),
        ),
        expect: "deny",
        message: "container setup must not use hostPort 9090",
        violations: 1,
      },
      NOT_A_POD,
    ]),
    title: "Disallow host ports",
    description:
      "A host port binds the node's network interface, bypassing network policy and limiting scheduling. Baseline requires ports[*].hostPort to be unset or 0 in every container, or one of a known list (allowedPorts, default none).",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    params: z.object({ allowedPorts: z.array(z.number().int().min(1).max(65535)).default([]) }),
    validate: (p, params) =>
      p.spec.allContainers.every((c) =>
        c.ports.every(
          (port) =>
            or(port.hostPort.absent(), port.hostPort.equals(0), port.hostPort.oneOf(params.allowedPorts))
              .message`container ${c.name} must not use hostPort ${port.hostPort}`,
        ),
      ),
  });
}

const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";
const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"] as const;

export function restrictApparmorProfiles(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-apparmor-profiles", options, [
      {
        name: "RuntimeDefault and a localhost profile",
        resource: pod(
          podSpec({
            securityContext: { runAsNonRoot: true, appArmorProfile: { type: "RuntimeDefault" } },
            containers: [container({ securityContext: { appArmorProfile: { type: "Localhost", localhostProfile: "k8s-shop" } } })],
          }),
          { annotations: { [`${APPARMOR_ANNOTATION}app`]: "localhost/k8s-shop" } },
        ),
        expect: "allow",
      },
      {
        name: "an Unconfined container",
        resource: pod(podSpec({ containers: [container({ securityContext: { appArmorProfile: { type: "Unconfined" } } })] })),
        expect: "deny",
        message: "container app must not set securityContext.appArmorProfile.type to Unconfined",
      },
      {
        name: "the deprecated annotation set to unconfined on a Deployment's pods",
        resource: deployment(podSpec(), { annotations: { [`${APPARMOR_ANNOTATION}app`]: "unconfined", "other/annotation": "unconfined" } }),
        expect: "deny",
        message: `annotation ${APPARMOR_ANNOTATION}app must not be unconfined`,
        violations: 1,
      },
      {
        name: "pod-level Unconfined",
        resource: pod(podSpec({ securityContext: { appArmorProfile: { type: "Unconfined" } } })),
        expect: "deny",
        message: "pod must not set securityContext.appArmorProfile.type to Unconfined",
      },
      NOT_A_POD,
    ]),
    title: "Restrict AppArmor profiles",
    description:
      "Running unconfined turns the node's AppArmor protection off. Baseline allows appArmorProfile.type (pod and containers) to be unset, RuntimeDefault or Localhost, and the deprecated container.apparmor.security.beta.kubernetes.io/* annotations to be runtime/default, localhost/* or empty.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      and(
        unsetOrOneOf(p.spec.securityContext.appArmorProfile.type, APPARMOR_TYPES)
          .message`pod must not set securityContext.appArmorProfile.type to ${p.spec.securityContext.appArmorProfile.type}`,
        p.spec.allContainers.every(
          (c) =>
            unsetOrOneOf(c.securityContext.appArmorProfile.type, APPARMOR_TYPES)
              .message`container ${c.name} must not set securityContext.appArmorProfile.type to ${c.securityContext.appArmorProfile.type}`,
        ),
        p.metadata.annotations
          .keys()
          .every(
            (k) =>
              implies(
                k.startsWith(APPARMOR_ANNOTATION),
                or(p.metadata.annotations.at(k).oneOf(["runtime/default", ""]), p.metadata.annotations.at(k).startsWith("localhost/")),
              ).message`annotation ${k} must not be ${p.metadata.annotations.at(k)}`,
          ),
      ),
  });
}

/** SELinux types Baseline allows (Kubernetes 1.31 and later). */
export const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"] as const;

export function disallowSelinux(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-selinux", options, [
      {
        name: "an allowed type and a level",
        resource: pod(
          podSpec({
            securityContext: { runAsNonRoot: true, seLinuxOptions: { type: "container_t", level: "s0:c123,c456" } },
            containers: [container({ securityContext: { seLinuxOptions: { type: "container_init_t" } } })],
          }),
        ),
        expect: "allow",
      },
      {
        name: "a custom type on a container",
        resource: pod(podSpec({ containers: [container({ securityContext: { seLinuxOptions: { type: "spc_t" } } })] })),
        expect: "deny",
        message: "container app must not set securityContext.seLinuxOptions.type to spc_t",
      },
      {
        name: "a user and a role at pod level, in a CronJob; an empty user is fine",
        resource: cronJob(
          podSpec({ restartPolicy: "OnFailure", securityContext: { seLinuxOptions: { user: "system_u", role: "system_r" } } }),
        ),
        expect: "deny",
        message: "pod must not set securityContext.seLinuxOptions.role",
        violations: 2,
      },
      NOT_A_POD,
    ]),
    title: "Disallow custom SELinux options",
    description:
      "A custom SELinux user, role or type can lift the confinement SELinux gives containers. Baseline allows seLinuxOptions.type (pod and containers) to be unset or one of container_t, container_init_t, container_kvm_t and container_engine_t, and seLinuxOptions.user and role to be unset.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      and(
        unsetOrOneOf(p.spec.securityContext.seLinuxOptions.type, SELINUX_TYPES)
          .message`pod must not set securityContext.seLinuxOptions.type to ${p.spec.securityContext.seLinuxOptions.type}`,
        unsetOrEmpty(p.spec.securityContext.seLinuxOptions.user).message`pod must not set securityContext.seLinuxOptions.user`,
        unsetOrEmpty(p.spec.securityContext.seLinuxOptions.role).message`pod must not set securityContext.seLinuxOptions.role`,
        p.spec.allContainers.every((c) =>
          and(
            unsetOrOneOf(c.securityContext.seLinuxOptions.type, SELINUX_TYPES)
              .message`container ${c.name} must not set securityContext.seLinuxOptions.type to ${c.securityContext.seLinuxOptions.type}`,
            unsetOrEmpty(c.securityContext.seLinuxOptions.user)
              .message`container ${c.name} must not set securityContext.seLinuxOptions.user`,
            unsetOrEmpty(c.securityContext.seLinuxOptions.role)
              .message`container ${c.name} must not set securityContext.seLinuxOptions.role`,
          ),
        ),
      ),
  });
}

export function disallowProcMount(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-proc-mount", options, [
      {
        name: "Default",
        resource: pod(podSpec({ containers: [container({ securityContext: { procMount: "Default" } })] })),
        expect: "allow",
      },
      {
        name: "Unmasked",
        resource: pod(podSpec({ containers: [container({ securityContext: { procMount: "Unmasked" } })] })),
        expect: "deny",
        message: "container app must not set securityContext.procMount to Unmasked",
      },
      {
        name: "Unmasked in a pod with its own user namespace (hostUsers: false) is allowed from Kubernetes 1.35",
        resource: deployment(podSpec({ hostUsers: false, containers: [container({ securityContext: { procMount: "Unmasked" } })] })),
        expect: "allow",
      },
      NOT_A_POD,
    ]),
    title: "Disallow unmasked /proc mounts",
    description:
      "The default /proc masks hide kernel interfaces from the container. Baseline requires securityContext.procMount to be unset or Default in every container, except in pods with their own user namespace (spec.hostUsers: false).",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) =>
          implies(
            p.spec.hostUsers.notEquals(false),
            or(c.securityContext.procMount.absent(), c.securityContext.procMount.equals("Default")),
          ).message`container ${c.name} must not set securityContext.procMount to ${c.securityContext.procMount}`,
      ),
  });
}

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"] as const;

export function restrictSeccomp(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-seccomp", options, [
      { name: "RuntimeDefault", resource: pod(), expect: "allow" },
      {
        name: "Unconfined at pod level",
        resource: pod(podSpec({ securityContext: { seccompProfile: { type: "Unconfined" } } })),
        expect: "deny",
        message: "pod must not set securityContext.seccompProfile.type to Unconfined",
      },
      {
        name: "no profile anywhere is allowed (Baseline), an Unconfined init container is not",
        resource: cronJob({
          restartPolicy: "OnFailure",
          containers: [{ name: "report", image: "nginx" }],
          initContainers: [{ name: "setup", image: "nginx", securityContext: { seccompProfile: { type: "Unconfined" } } }],
        }),
        expect: "deny",
        message: "container setup must not set securityContext.seccompProfile.type to Unconfined",
        violations: 1,
      },
      NOT_A_POD,
    ]),
    title: "Restrict seccomp profiles",
    description:
      "Running without seccomp exposes every system call to the container. Baseline allows seccompProfile.type (pod and containers) to be unset, RuntimeDefault or Localhost, never Unconfined.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      and(
        unsetOrOneOf(p.spec.securityContext.seccompProfile.type, SECCOMP_TYPES)
          .message`pod must not set securityContext.seccompProfile.type to ${p.spec.securityContext.seccompProfile.type}`,
        p.spec.allContainers.every(
          (c) =>
            unsetOrOneOf(c.securityContext.seccompProfile.type, SECCOMP_TYPES)
              .message`container ${c.name} must not set securityContext.seccompProfile.type to ${c.securityContext.seccompProfile.type}`,
        ),
      ),
  });
}

/** The sysctls Baseline allows (Kubernetes 1.32 and later). */
export const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
] as const;

export function restrictSysctls(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-sysctls", options, [
      {
        name: "safe sysctls",
        resource: pod(
          podSpec({
            securityContext: {
              runAsNonRoot: true,
              sysctls: [
                { name: "net.ipv4.tcp_keepalive_time", value: "300" },
                { name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" },
              ],
            },
          }),
        ),
        expect: "allow",
      },
      {
        name: "an unsafe sysctl",
        resource: pod(podSpec({ securityContext: { sysctls: [{ name: "kernel.msgmax", value: "65536" }] } })),
        expect: "deny",
        message: "pod must not set sysctl kernel.msgmax",
      },
      {
        name: "an empty sysctls list, in a Deployment",
        resource: deployment(podSpec({ securityContext: { sysctls: [] } })),
        expect: "allow",
      },
      NOT_A_POD,
    ]),
    title: "Restrict sysctls",
    description:
      "Sysctls can turn off security mechanisms or affect every pod on the node; only namespaced, isolated ones are safe. Baseline allows spec.securityContext.sysctls[*].name to be kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem or net.ipv4.tcp_wmem.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) => p.spec.securityContext.sysctls.every((s) => s.name.oneOf(SAFE_SYSCTLS).message`pod must not set sysctl ${s.name}`),
  });
}

export function disallowHostProbes(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("disallow-host-probes", options, [
      { name: "probes without a host", resource: pod(), expect: "allow" },
      {
        name: "a liveness probe aimed at another host",
        resource: pod(
          podSpec({ containers: [container({ livenessProbe: { httpGet: { host: "169.254.169.254", path: "/", port: 80 } } })] }),
        ),
        expect: "deny",
        message: "container app must not set a host in its probes or lifecycle handlers",
      },
      {
        name: "a preStop TCP handler's host in an init container of a Deployment; an empty host is fine",
        resource: deployment(
          podSpec({
            containers: [container({ readinessProbe: { tcpSocket: { host: "", port: 8080 } } })],
            initContainers: [container({ lifecycle: { preStop: { tcpSocket: { host: "10.0.0.1", port: 22 } } } }, "setup")],
          }),
        ),
        expect: "deny",
        message: "container setup",
        violations: 1,
      },
      NOT_A_POD,
    ]),
    title: "Disallow probe and lifecycle hosts",
    description:
      "A probe or lifecycle handler with a host makes the kubelet connect to any address it names, from the node. Baseline (Kubernetes 1.34 and later) requires the host of every httpGet and tcpSocket in livenessProbe, readinessProbe, startupProbe and lifecycle postStart and preStop to be unset or empty.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Pod] },
    validate: (p) =>
      p.spec.allContainers.every(
        (c) =>
          and(
            unsetOrEmpty(c.livenessProbe.httpGet.host),
            unsetOrEmpty(c.livenessProbe.tcpSocket.host),
            unsetOrEmpty(c.readinessProbe.httpGet.host),
            unsetOrEmpty(c.readinessProbe.tcpSocket.host),
            unsetOrEmpty(c.startupProbe.httpGet.host),
            unsetOrEmpty(c.startupProbe.tcpSocket.host),
            unsetOrEmpty(c.lifecycle.postStart.httpGet.host),
            unsetOrEmpty(c.lifecycle.postStart.tcpSocket.host),
            unsetOrEmpty(c.lifecycle.preStop.httpGet.host),
            unsetOrEmpty(c.lifecycle.preStop.tcpSocket.host),
          ).message`container ${c.name} must not set a host in its probes or lifecycle handlers`,
      ),
  });
}
