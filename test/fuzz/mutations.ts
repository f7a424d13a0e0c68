/**
 * Differential fuzzing of mutations: random mutations (every step kind: defaults and sets of
 * scalars at pod and container level, map keys with dots and slashes, lists of strings and
 * numbers gaining and losing items, labels written or copied from the Namespace, registry
 * rewrites, image conditions) and random objects (Pods, Deployments, CronJobs with fields present,
 * absent or different, containers in every list, strings that need escaping), applied on every
 * engine whose target can express the mutation. Every result must equal the reference engine's,
 * and applying the mutation to its result must change nothing.
 */
import fc from "fast-check";
import { compileMutation, mutationTargetIssues } from "../../src/backends/index.js";
import type { CelRuntime, MutationAnswer, MutationEngine } from "../../src/engines/index.js";
import { canonicalJson, composeMutationEngines, objectDiff, shownAnswer } from "../../src/harness/index.js";
import type { Mutation, MutationOp, MutationStep } from "../../src/ir/index.js";
import { BUILTIN_KINDS, NAMESPACE_NAME_LABEL, POD_CONTROLLERS, type KubeObject } from "../../src/kube/index.js";

const src = { file: "fuzz.ts", line: 1, column: 1 };

/** Strings that must survive every target's escaping (CEL literals, YAML, Gatekeeper locations). */
const text = fc.constantFrom("a", "team-a", 'quo"te', "back\\slash", "ünï", "${x}", "a b", "x'y", "100m", "");

const podScalars: readonly { path: string[]; keys?: number[]; value: fc.Arbitrary<string | number | boolean> }[] = [
  { path: ["spec", "hostNetwork"], value: fc.boolean() },
  { path: ["spec", "securityContext", "runAsNonRoot"], value: fc.boolean() },
  { path: ["spec", "securityContext", "runAsUser"], value: fc.integer({ min: 0, max: 70000 }) },
  { path: ["spec", "securityContext", "seccompProfile", "type"], value: fc.constantFrom("RuntimeDefault", "Localhost", "Unconfined") },
  { path: ["spec", "priorityClassName"], value: text },
  { path: ["spec", "terminationGracePeriodSeconds"], value: fc.integer({ min: 0, max: 600 }) },
  { path: ["spec", "nodeSelector", "kubernetes.io/os"], keys: [2], value: fc.constantFrom("linux", "windows") },
  { path: ["spec", "nodeSelector", "team"], keys: [2], value: text },
];
const containerScalars: readonly { path: string[]; keys?: number[]; value: fc.Arbitrary<string | number | boolean> }[] = [
  { path: ["imagePullPolicy"], value: fc.constantFrom("Always", "IfNotPresent", "Never") },
  { path: ["securityContext", "allowPrivilegeEscalation"], value: fc.boolean() },
  { path: ["securityContext", "privileged"], value: fc.boolean() },
  { path: ["securityContext", "runAsUser"], value: fc.integer({ min: 0, max: 70000 }) },
  { path: ["resources", "requests", "cpu"], keys: [2], value: fc.constantFrom("100m", "1", "250m") },
  { path: ["resources", "limits", "memory"], keys: [2], value: fc.constantFrom("128Mi", "1Gi") },
  { path: ["terminationMessagePath"], value: text },
];
const CAPS = ["ALL", "NET_RAW", "CHOWN", "SYS_ADMIN"];

const setOf = (scalars: typeof podScalars): fc.Arbitrary<MutationOp> =>
  fc
    .constantFrom(...scalars)
    .chain((s) =>
      fc
        .record({ value: s.value, ifAbsent: fc.boolean() })
        .map((r) => ({ op: "set" as const, path: s.path, keys: s.keys ?? [], ...r, source: src })),
    );
const listOp = (path: string[], values: fc.Arbitrary<(string | number)[]>): fc.Arbitrary<MutationOp> =>
  fc
    .record({ op: fc.constantFrom("addToSet" as const, "removeFromSet" as const), values })
    .map((r) => ({ ...r, path, keys: [], values: [...new Set(r.values)], source: src }));

const objectStep: fc.Arbitrary<MutationStep> = fc
  .oneof(
    setOf(podScalars),
    listOp(["spec", "securityContext", "supplementalGroups"], fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 })),
    listOp(["metadata", "finalizers"], fc.array(fc.constantFrom("a.example.com/x", "b", 'quo"te'), { minLength: 1, maxLength: 2 })),
    fc
      .record({
        field: fc.constantFrom("labels" as const, "annotations" as const),
        key: fc.constantFrom("team", "app.kubernetes.io/name", "x.y"),
        value: text,
      })
      .map((r) => ({ op: "metadata" as const, ...r, source: src })),
    fc
      .record({ key: fc.constantFrom("team", "cost"), from: fc.constantFrom("team", "cost", "missing") })
      .map((r) => ({ op: "metadata" as const, field: "labels" as const, key: r.key, fromNamespaceLabel: r.from, source: src })),
  )
  .map((change) => ({ on: "object" as const, change }));

const LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;
const containerStep: fc.Arbitrary<MutationStep> = fc
  .record({
    lists: fc.subarray([...LISTS], { minLength: 1 }),
    when: fc.option(fc.constantFrom("nginx", "docker.io/", "ghcr.io/acme", "registry.example.com"), { nil: undefined }),
    change: fc.oneof(
      setOf(containerScalars),
      listOp(["securityContext", "capabilities", "drop"], fc.subarray(CAPS, { minLength: 1 })),
      listOp(["securityContext", "capabilities", "add"], fc.subarray(CAPS, { minLength: 1 })),
      listOp(["args"], fc.array(text, { minLength: 1, maxLength: 2 })),
      fc
        .record({
          from: fc.constantFrom("docker.io", "ghcr.io", "registry.example.com", "localhost:5000"),
          to: fc.constantFrom("mirror.example.com", "localhost:5001"),
        })
        .map((r) => ({ op: "rewriteRegistry" as const, ...r, source: src })),
    ),
  })
  .map((r) => ({ on: "containers" as const, lists: r.lists, ...(r.when ? { when: { imageStartsWith: r.when } } : {}), change: r.change }));

/** The field a step changes, per list: two steps of one field are a conflict defineMutation refuses, so the fuzzer keeps the first. */
function keysOf(s: MutationStep): string[] {
  const c = s.change;
  const path = c.op === "metadata" ? `metadata.${c.field}.${c.key}` : c.op === "rewriteRegistry" ? "image" : c.path.join(".");
  return s.on === "object" ? [`object:${path}`] : s.lists.map((l) => `${l}:${path}`);
}

export const fuzzMutation: fc.Arbitrary<Mutation> = fc
  .record({ steps: fc.array(fc.oneof(objectStep, containerStep), { minLength: 1, maxLength: 3 }), exclude: fc.boolean() })
  .map(({ steps, exclude }) => {
    const seen = new Set<string>();
    const kept = steps.filter((s) => {
      const keys = keysOf(s);
      if (keys.some((k) => seen.has(k))) return false;
      for (const k of keys) seen.add(k);
      return true;
    });
    return {
      kind: "mutation",
      name: "fuzz-mutation",
      subject: "pod",
      match: {
        kinds: [BUILTIN_KINDS.Pod, ...POD_CONTROLLERS.map((c) => c.kind)],
        operations: ["CREATE", "UPDATE"],
        ...(exclude ? { namespaces: { exclude: ["kube-system"] } } : {}),
      },
      instances: [{ steps: kept, source: src }],
      targets: { kyverno: { enabled: true }, kubernetes: { enabled: true }, gatekeeper: { enabled: true } },
      source: src,
    } as Mutation;
  });

const image = fc.constantFrom(
  "nginx",
  "nginx:1.27",
  "docker.io/library/redis:7",
  "ghcr.io/acme/api@sha256:" + "a".repeat(64),
  "registry.example.com/x/y:v1",
  "localhost:5000/z",
  "busybox",
);
const container = (name: string): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .record(
      {
        image,
        imagePullPolicy: fc.constantFrom("Always", "IfNotPresent"),
        securityContext: fc.record(
          {
            allowPrivilegeEscalation: fc.boolean(),
            privileged: fc.boolean(),
            runAsUser: fc.integer({ min: 0, max: 5 }),
            capabilities: fc.record({ drop: fc.subarray(CAPS), add: fc.subarray(CAPS) }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
        resources: fc.record(
          {
            requests: fc.record({ cpu: fc.constantFrom("1", "100m") }, { requiredKeys: [] }),
            limits: fc.record({ memory: fc.constant("1Gi") }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
        args: fc.array(text, { maxLength: 2 }),
        terminationMessagePath: text,
      },
      { requiredKeys: ["image"] },
    )
    .map((c) => ({ name, ...c }));

const podSpec: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    containers: fc
      .array(fc.constantFrom("app", "side", "x.y"), { minLength: 1, maxLength: 3 })
      .chain((names) => fc.tuple(...[...new Set(names)].map(container))),
    initContainers: fc
      .array(fc.constantFrom("init", "i2"), { maxLength: 2 })
      .chain((names) => fc.tuple(...[...new Set(names)].map(container))),
    ephemeralContainers: fc.array(fc.constantFrom("debug"), { maxLength: 1 }).chain((names) => fc.tuple(...names.map(container))),
    hostNetwork: fc.boolean(),
    priorityClassName: text,
    terminationGracePeriodSeconds: fc.integer({ min: 0, max: 60 }),
    nodeSelector: fc.record({ "kubernetes.io/os": fc.constant("linux"), team: text }, { requiredKeys: [] }),
    securityContext: fc.record(
      {
        runAsNonRoot: fc.boolean(),
        runAsUser: fc.integer({ min: 0, max: 5 }),
        seccompProfile: fc.record({ type: fc.constantFrom("RuntimeDefault", "Unconfined") }),
        supplementalGroups: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["containers"] },
);

const meta = fc.record(
  {
    labels: fc.record({ team: text, app: fc.constant("web") }, { requiredKeys: [] }),
    annotations: fc.record({ "x.y": text }, { requiredKeys: [] }),
    finalizers: fc.array(fc.constantFrom("b", "a.example.com/x"), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

export const fuzzObject: fc.Arbitrary<KubeObject> = fc
  .record({
    kind: fc.constantFrom("Pod", "Deployment", "CronJob"),
    spec: podSpec,
    meta,
    podMeta: meta,
    namespace: fc.constantFrom("team-a", "kube-system"),
  })
  .map(({ kind, spec, meta: m, podMeta, namespace }): KubeObject => {
    const metadata = { name: "w", namespace, ...m };
    if (kind === "Pod") return { apiVersion: "v1", kind, metadata, spec };
    const template = { metadata: podMeta, spec };
    if (kind === "Deployment")
      return { apiVersion: "apps/v1", kind, metadata, spec: { selector: { matchLabels: { app: "web" } }, template } };
    return { apiVersion: "batch/v1", kind, metadata, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } };
  });

export const fuzzNamespaceLabels = fc.record({ team: text, cost: fc.constantFrom("1", "2") }, { requiredKeys: [] });

export interface MutationFuzzCase {
  readonly mutation: Mutation;
  readonly objects: readonly KubeObject[];
  readonly namespaceLabels: Readonly<Record<string, string>>;
}

export const mutationFuzzCase: fc.Arbitrary<MutationFuzzCase> = fc.record({
  mutation: fuzzMutation,
  objects: fc.array(fuzzObject, { minLength: 1, maxLength: 4 }),
  namespaceLabels: fuzzNamespaceLabels,
});

export interface MutationDisagreement {
  readonly mutation: Mutation;
  readonly object: KubeObject;
  readonly answers: Readonly<Record<string, unknown>>;
  readonly diff: string;
}

/** The engines of one case (Gatekeeper only when its mutators can express the mutation). */
export function mutationEngines(m: Mutation, runtime: CelRuntime): MutationEngine[] {
  const gatekeeper = mutationTargetIssues(m, ["gatekeeper"]).length === 0;
  const targets = gatekeeper ? (["kyverno", "kubernetes", "gatekeeper"] as const) : (["kyverno", "kubernetes"] as const);
  const outputs = compileMutation(m, targets);
  const r = composeMutationEngines(
    { sets: [{ id: "", documents: outputs.flatMap((o) => o.documents as KubeObject[]) }], mutations: [m] },
    ["reference", ...targets],
    { cel: runtime },
  );
  if (r.problems.length) throw new Error(`${r.problems[0]!.engine} refused the generated documents: ${r.problems[0]!.message}`);
  return r.engines;
}

/** The first object whose results differ between engines (or change again when mutated twice). */
export function checkMutation(c: MutationFuzzCase, runtime: CelRuntime, counts?: Record<string, number>): MutationDisagreement | undefined {
  const engines = mutationEngines(c.mutation, runtime);
  try {
    for (const object of c.objects) {
      const ns = String(object.metadata?.namespace);
      const namespaces = {
        [ns]: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { ...c.namespaceLabels, [NAMESPACE_NAME_LABEL]: ns } } },
      };
      const ask = (e: MutationEngine, o: KubeObject): MutationAnswer =>
        e.mutate({ policy: "fuzz-mutation", admission: { operation: "CREATE", object: o, cluster: { namespaces } } });
      const answers = engines.map((e) => ({ engine: e.name, answer: ask(e, object) }));
      const ref = answers.find((a) => a.engine === "reference")!.answer;
      for (const a of answers) {
        const again =
          a.answer.kind === "mutated"
            ? ask(
                engines.find((e) => e.name === a.engine)!,
                a.answer.object as KubeObject,
              )
            : a.answer;
        const idempotent = canonicalJson(again) === canonicalJson(a.answer) || again.kind === "skip";
        if (canonicalJson(a.answer) !== canonicalJson(ref) || !idempotent)
          return {
            mutation: c.mutation,
            object,
            answers: Object.fromEntries(answers.map((x) => [x.engine, shownAnswer(x.answer)])),
            diff: idempotent
              ? `${a.engine} vs reference:\n${objectDiff(shownAnswer(ref), shownAnswer(a.answer)).join("\n")}`
              : `${a.engine} is not idempotent:\n${objectDiff(shownAnswer(a.answer), shownAnswer(again)).join("\n")}`,
          };
      }
      if (counts) {
        const k = ref.kind === "mutated" ? (canonicalJson(ref.object) === canonicalJson(object) ? "unchanged" : "mutated") : ref.kind;
        counts[k] = (counts[k] ?? 0) + 1;
      }
    }
    return undefined;
  } finally {
    for (const e of engines) e.release();
  }
}

/** `runs` random mutations, each on its objects: the first disagreement, shrunk, or none. */
export async function fuzzMutations(runs: number, seed: number, runtime: CelRuntime, log: (s: string) => void = () => {}) {
  const started = Date.now();
  const counts: Record<string, number> = {};
  let done = 0;
  let failure: MutationDisagreement | undefined;
  const result = await fc.check(
    fc.property(mutationFuzzCase, (c) => {
      const d = checkMutation(c, runtime, counts);
      if (++done % 250 === 0) log(`${done} mutation cases checked (${Math.round((Date.now() - started) / 1000)} s)`);
      if (d) failure = d;
      return d === undefined;
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  if (result.failed && result.counterexample) failure = checkMutation(result.counterexample[0], runtime) ?? failure;
  return { runs: result.numRuns, seed, counts, ...(result.failed && failure ? { failure } : {}), ms: Date.now() - started };
}
