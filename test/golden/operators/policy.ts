// The operators no other cased construct exercises, each on all four engines (test/sdk/operators.test.ts
// checks that every operator of the SDK's table is exercised by some cased construct).
import { and, definePolicy, implies, not, or, Pod } from "policyc";

interface PodOptions {
  priority?: number;
  image?: string;
  tier?: string;
  args?: string[];
  env?: boolean;
  gates?: boolean;
  name?: string;
  hostPID?: boolean;
  links?: boolean;
  restart?: string;
  memory?: string;
  containers?: number;
}

const pod = (o: PodOptions) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: o.name ?? "p", namespace: "shop" },
  spec: {
    priority: o.priority ?? 0,
    ...(o.tier !== undefined ? { futureTier: o.tier } : {}),
    ...(o.gates ? { readinessGates: [{ conditionType: "example.com/ready" }] } : {}),
    ...(o.hostPID !== undefined ? { hostPID: o.hostPID } : {}),
    ...(o.links !== undefined ? { enableServiceLinks: o.links } : {}),
    ...(o.restart !== undefined ? { restartPolicy: o.restart } : {}),
    containers: Array.from({ length: o.containers ?? 1 }, (_, i) => ({
      name: i === 0 ? "app" : `app-${i}`,
      image: o.image ?? "registry.example.com/app:1.0",
      args: o.args ?? ["--serve"],
      ...(o.env === false ? {} : { env: [{ name: "MODE", value: "prod" }] }),
      ...(o.memory ? { resources: { limits: { memory: o.memory } } } : {}),
    })),
  },
});

export default definePolicy({
  name: "golden-operators",
  title: "Operators on every engine",
  match: { kinds: [Pod] },
  validate: (p) =>
    and(
      p.spec.priority.gte(0).message`priority must not be negative`,
      p.spec.priority.lt(1000).message`priority must be below 1000`,
      p.metadata.name.glob("p*").message`pod names start with p`,
      not(p.spec.hostPID.isTrue()).message`host PID is not allowed`,
      or(p.spec.enableServiceLinks.absent(), p.spec.enableServiceLinks.isFalse()).message`service links must be off`,
      p.spec.restartPolicy.notOneOf(["Never"]).message`restartPolicy Never is not allowed`,
      p.spec.containers.count().lte(2).message`at most two containers`,
      p.spec.containers.none((c) => c.name.endsWith("-debug")).message`no debug containers`,
      p.spec.containers.every((c) => c.image.image().registry.equals("registry.example.com").message`${c.name} is not from the registry`),
      p.spec.containers.none((c) => c.image.contains("..")).message`image paths may not climb`,
      p.spec.unchecked("futureTier").notEquals("gold").message`the gold tier is reserved`,
      p.spec.containers.every((c) => c.args.includes("--serve").message`${c.name} does not serve`),
      p.spec.containers.every((c) => c.env.isNotEmpty().message`${c.name} sets no environment`),
      p.spec.containers.every((c) =>
        implies(c.resources.limits.at("memory").exists(), c.resources.limits.at("memory").quantity().lte("1Gi")).message`${c.name} asks for too much memory`,
      ),
      p.spec.readinessGates.isEmpty().message`readiness gates are not allowed`,
    ),
  tests: [
    { resource: pod({}), expect: "allow" },
    { resource: pod({ priority: 5, links: false, hostPID: false, restart: "Always", memory: "512Mi", containers: 2, tier: "silver" }), expect: "allow" },
    { resource: pod({ priority: -1 }), expect: "deny", message: "priority must not be negative" },
    { resource: pod({ priority: 1000 }), expect: "deny", message: "priority must be below 1000" },
    { resource: pod({ name: "q" }), expect: "deny", message: "pod names start with p" },
    { resource: pod({ hostPID: true }), expect: "deny", message: "host PID is not allowed" },
    { resource: pod({ links: true }), expect: "deny", message: "service links must be off" },
    { resource: pod({ restart: "Never" }), expect: "deny", message: "restartPolicy Never is not allowed" },
    { resource: pod({ containers: 3 }), expect: "deny", message: "at most two containers" },
    { resource: { ...pod({}), spec: { ...pod({}).spec, containers: [{ ...pod({}).spec.containers[0]!, name: "x-debug" }] } }, expect: "deny", message: "no debug containers" },
    { resource: pod({ image: "nginx" }), expect: "deny", message: "app is not from the registry" },
    { resource: pod({ image: "registry.example.com/../x" }), expect: "deny", message: "image paths may not climb" },
    { resource: pod({ tier: "gold" }), expect: "deny", message: "the gold tier is reserved" },
    { resource: pod({ args: ["--worker"] }), expect: "deny", message: "app does not serve" },
    { resource: pod({ env: false }), expect: "deny", message: "app sets no environment" },
    { resource: pod({ memory: "2Gi" }), expect: "deny", message: "app asks for too much memory" },
    { resource: pod({ gates: true }), expect: "deny", message: "readiness gates are not allowed" },
  ],
});
