/** Network exposure: Services, Ingresses and NetworkPolicies that open more than they should. */
import { z } from "zod";
import { and, definePolicy, implies, Ingress, NetworkPolicy, or, Service, type PolicyDefinition } from "../sdk/index.js";
import { exclusions, fromOptions, type LibraryOptions } from "./define.js";
import { configMap, ingress, networkPolicy, service } from "./fixtures.js";

const CATEGORY = "Network exposure";

export function restrictNodePort(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-node-port", options, [
      { name: "ClusterIP", resource: service({ type: "ClusterIP" }), expect: "allow" },
      { name: "NodePort", resource: service({ type: "NodePort" }), expect: "deny", message: "Service shop must not be of type NodePort" },
      { name: "no type (ClusterIP by default)", resource: service({}), expect: "allow" },
      { name: "not a Service", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow NodePort Services",
    description:
      "A NodePort Service opens a port on every node, outside the cluster's load balancers and network policies. Services must not be of type NodePort.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Service], ...exclusions(options) },
    validate: (s) => s.spec.type.notEquals("NodePort").message`Service ${s.metadata.name} must not be of type NodePort`,
  });
}

export function restrictLoadbalancer(options: LibraryOptions<{ namespaces?: string[] }> = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-loadbalancer", options, [
      { name: "a ClusterIP Service", resource: service({ type: "ClusterIP" }), expect: "allow" },
      {
        name: "a LoadBalancer where none is allowed (the default)",
        resource: service({ type: "LoadBalancer" }),
        expect: "deny",
        message: "Service shop in namespace shop must not be of type LoadBalancer",
      },
      { name: "no type (ClusterIP)", resource: service({}), expect: "allow" },
      { name: "not a Service", resource: configMap(), expect: "skip" },
    ]),
    title: "Restrict LoadBalancer Services",
    description:
      "A LoadBalancer Service gets an external address, usually one on the internet, and costs money. Only the listed namespaces (namespaces, default none) may have them.",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Service], ...exclusions(options) },
    params: z.object({ namespaces: z.array(z.string().min(1)).default([]) }),
    validate: (s, params) =>
      implies(s.spec.type.equals("LoadBalancer"), s.metadata.namespace.oneOf(params.namespaces))
        .message`Service ${s.metadata.name} in namespace ${s.metadata.namespace} must not be of type LoadBalancer`,
  });
}

export function restrictServiceExternalIps(options: LibraryOptions<{ allowed?: string[] }> = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-service-external-ips", options, [
      { name: "no external IPs", resource: service({}), expect: "allow" },
      {
        name: "an external IP",
        resource: service({ externalIPs: ["203.0.113.10"] }),
        expect: "deny",
        message: "Service shop must not use external IP 203.0.113.10",
      },
      { name: "an empty list", resource: service({ externalIPs: [] }), expect: "allow" },
      { name: "not a Service", resource: configMap(), expect: "skip" },
    ]),
    title: "Restrict Service external IPs",
    description:
      "spec.externalIPs makes nodes accept traffic for any address, which a tenant can use to intercept another's traffic (CVE-2020-8554). Services may use only the listed external IPs (allowed, default none).",
    category: CATEGORY,
    severity: "high",
    match: { kinds: [Service], ...exclusions(options) },
    params: z.object({ allowed: z.array(z.string().min(1)).default([]) }),
    validate: (s, params) =>
      s.spec.externalIPs.every((ip) => ip.oneOf(params.allowed).message`Service ${s.metadata.name} must not use external IP ${ip}`),
  });
}

export function requireIngressTls(options: LibraryOptions = {}): PolicyDefinition {
  const rule = (host: string) => ({
    host,
    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 80 } } } }] },
  });
  return definePolicy({
    ...fromOptions("require-ingress-tls", options, [
      {
        name: "TLS for every host",
        resource: ingress({ tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }], rules: [rule("shop.example.com")] }),
        expect: "allow",
      },
      {
        name: "no TLS",
        resource: ingress({ rules: [rule("shop.example.com")] }),
        expect: "deny",
        message: "Ingress shop must configure TLS",
      },
      {
        name: "a host TLS does not cover",
        resource: ingress({
          tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }],
          rules: [rule("shop.example.com"), rule("admin.example.com")],
        }),
        expect: "deny",
        message: "host admin.example.com is not covered by the Ingress's TLS",
        violations: 1,
      },
      { name: "not an Ingress", resource: configMap(), expect: "skip" },
    ]),
    title: "Require TLS on Ingresses",
    description:
      "Plain-HTTP ingress exposes credentials and sessions on the network. Every Ingress must configure spec.tls, and every rule's host must be listed in one of its TLS entries.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Ingress], ...exclusions(options) },
    validate: (i) =>
      and(
        i.spec.tls.isNotEmpty().message`Ingress ${i.metadata.name} must configure TLS`,
        i.spec.rules.every(
          (r) =>
            implies(
              r.host.exists(),
              i.spec.tls.some((t) => t.hosts.includes(r.host)),
            ).message`host ${r.host} is not covered by the Ingress's TLS`,
        ),
      ),
  });
}

export function disallowEmptyIngressHost(options: LibraryOptions = {}): PolicyDefinition {
  const backend = { http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 80 } } } }] } };
  return definePolicy({
    ...fromOptions("disallow-empty-ingress-host", options, [
      { name: "a host", resource: ingress({ rules: [{ host: "shop.example.com", ...backend }] }), expect: "allow" },
      {
        name: "a rule without a host",
        resource: ingress({ rules: [backend] }),
        expect: "deny",
        message: "Ingress shop has a rule without a host",
      },
      {
        name: "an empty host",
        resource: ingress({
          rules: [
            { host: "shop.example.com", ...backend },
            { host: "", ...backend },
          ],
        }),
        expect: "deny",
        violations: 1,
      },
      { name: "not an Ingress", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow Ingress rules without a host",
    description:
      "A rule without a host matches every name that reaches the ingress controller, catching traffic meant for others. Every Ingress rule must name a host.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [Ingress], ...exclusions(options) },
    validate: (i) =>
      i.spec.rules.every((r) => and(r.host.exists(), r.host.notEquals("")).message`Ingress ${i.metadata.name} has a rule without a host`),
  });
}

export function restrictNetworkpolicyEmptyPeer(options: LibraryOptions = {}): PolicyDefinition {
  return definePolicy({
    ...fromOptions("restrict-networkpolicy-empty-peer", options, [
      {
        name: "peers select pods, namespaces and address blocks",
        resource: networkPolicy({
          ingress: [{ from: [{ podSelector: { matchLabels: { role: "frontend" } } }, { namespaceSelector: {} }] }],
          egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }],
        }),
        expect: "allow",
      },
      {
        name: "an empty ingress peer",
        resource: networkPolicy({ ingress: [{ from: [{}] }] }),
        expect: "deny",
        message: "NetworkPolicy shop has an empty peer in ingress[].from",
      },
      {
        name: "an empty egress peer; rules without peers are not peers",
        resource: networkPolicy({ ingress: [{}], egress: [{ to: [{}] }] }),
        expect: "deny",
        violations: 1,
      },
      { name: "not a NetworkPolicy", resource: configMap(), expect: "skip" },
    ]),
    title: "Disallow empty NetworkPolicy peers",
    description:
      "An empty peer ({}) in a NetworkPolicy's from or to is easy to write by mistake and reads as nothing, but means every pod in every namespace, or every address. Each peer must set podSelector, namespaceSelector or ipBlock.",
    category: CATEGORY,
    severity: "medium",
    match: { kinds: [NetworkPolicy], ...exclusions(options) },
    validate: (n) =>
      and(
        n.spec.ingress.every((r) =>
          r.from.every(
            (peer) =>
              or(peer.podSelector.exists(), peer.namespaceSelector.exists(), peer.ipBlock.exists())
                .message`NetworkPolicy ${n.metadata.name} has an empty peer in ingress[].from`,
          ),
        ),
        n.spec.egress.every((r) =>
          r.to.every(
            (peer) =>
              or(peer.podSelector.exists(), peer.namespaceSelector.exists(), peer.ipBlock.exists())
                .message`NetworkPolicy ${n.metadata.name} has an empty peer in egress[].to`,
          ),
        ),
      ),
  });
}
