/**
 * Random well-typed policies over the whole rule vocabulary, and random admission requests that
 * exercise them: Pods (and pod controllers) with present, absent and null fields, empty lists,
 * integers vs floats, quantities, unicode; CREATE, UPDATE (with an old object) and DELETE; users
 * and service accounts; namespaces with labels. Rules read the old object, the request, the
 * namespace, parameters as keys, conditions and lists of objects, image references and strings
 * built from fields; exceptions exempt some requests. Built as IR directly, the way the SDK builds it.
 */
import fc from "fast-check";
import type {
  CompareOp,
  Exception,
  LabelSelector,
  Expr,
  FieldRef,
  KeySegment,
  ListSource,
  Literal,
  Match,
  Message,
  ParamRef,
  Policy,
  Rule,
  StringOp,
  Value,
} from "../../src/ir/index.js";
import { BUILTIN_KINDS, type AdmissionRequest, type KubeObject, type Operation } from "../../src/kube/index.js";

const src = { file: "fuzz.ts", line: 1, column: 1 };
const subject = (...path: (string | KeySegment)[]): FieldRef => ({ kind: "field", scope: { kind: "subject" }, path, source: src });
const element = (variable: string, ...path: string[]): FieldRef => ({
  kind: "field",
  scope: { kind: "element", variable },
  path,
  source: src,
});
const lit = (value: Literal["value"]): Literal => ({ kind: "literal", value, source: src });
const param = (name: string): ParamRef => ({ kind: "param", path: [name], source: src });
const scoped =
  (kind: "oldSubject" | "request" | "namespace") =>
  (...path: (string | KeySegment)[]): FieldRef => ({ kind: "field", scope: { kind }, path, source: src });
const old = scoped("oldSubject");
const request = scoped("request");
const namespace = scoped("namespace");
const key = (v: Value): KeySegment => ({ kind: "key", key: v });
const compare = (left: Value, right: Value, op: CompareOp = "eq"): Expr => ({ kind: "compare", op, left, right, source: src });
const str = (op: StringOp, value: Value, arg: Value): Expr => ({ kind: "string", op, value, arg, source: src });
const quantifier = (q: "all" | "any", lists: ListSource[], variable: string, body: Expr): Expr => ({
  kind: "quantifier",
  quantifier: q,
  lists,
  variable,
  body,
  source: src,
});
const concat = (...items: Value[]): Value => ({ kind: "concat", items, source: src });
const split = (of: Value, separator: string): ListSource => ({ kind: "split", of, separator, source: src });
type LookupOptions = { namespace?: Value; name?: Value; labels?: { key: string; value: Value }[] };
const lookup = (kind: keyof typeof BUILTIN_KINDS, o: LookupOptions = {}): ListSource => ({
  kind: "lookup",
  target: BUILTIN_KINDS[kind],
  ...(o.namespace ? { namespace: o.namespace } : {}),
  ...(o.name ? { name: o.name } : {}),
  ...(o.labels?.length ? { labels: o.labels } : {}),
  source: src,
});
const selects = (style: "labelSelector" | "map", selector: Value, labels: Value): Expr => ({
  kind: "selects",
  style,
  selector,
  labels,
  source: src,
});

const LABEL_KEYS = ["app", "team", "tier.example.com/level"];
const LABEL_VALUES = ["web", "db", "", "Web", "wéb", "a-b", "x.y", "100", "true", "😀"];
const IMAGES = [
  "nginx",
  "Nginx",
  "localhost:5000/a/b:tag",
  "host:5000/org/app@sha256:" + "b".repeat(64),
  "ghcr.io/org/app:1.0@sha256:" + "c".repeat(64),
  "docker.io/nginx",
  "index.docker.io/library/nginx:1.27",
  "a//b",
  ":tag",
  "nginx:1.27",
  "nginx:latest",
  "ghcr.io/org/app:1.0",
  "registry.example.com/team/app@sha256:" + "a".repeat(64),
  "busybox:latest",
  "",
];
const NAMES = ["web", "db", "app-1", "sidecar", "init", "Wéb", "x"];
/** What image parts are compared with. */
const IMAGE_PARTS_SEEN = [
  "docker.io",
  "ghcr.io",
  "localhost:5000",
  "library/nginx",
  "org/app",
  "nginx",
  "latest",
  "1.27",
  "1.0",
  "",
  "a/b",
];
const USERS = [
  "alice",
  "system:serviceaccount:fuzz:web",
  "system:serviceaccount:team-a:db",
  "system:serviceaccount:fuzz:x",
  "system:admin",
  "",
];
const GROUPS = ["system:authenticated", "platform-admins", "dev", "system:serviceaccounts", "a,b"];
const OPERATIONS: Operation[] = ["CREATE", "UPDATE", "DELETE"];
const QUANTITIES = ["512Mi", "1Gi", "1.5Gi", "100M", "2", "0.5", "1000m", "1e3", "64Ki"];
const NUMBERS = [0, 1, 2, 3, 3.5, -1, 10, 2.0000001, 100];
const REGEXES = ["^web", "[0-9]+", "^[a-z]+(-[a-z]+)*$", "latest$", "é", "^$", "a|b", "\\."];
const GLOBS = ["web*", "*latest", "ngin?", "*", "*.example.com/*", "x"];

const ops: CompareOp[] = ["eq", "lt", "le", "gt", "ge"];

/** A value for a field: present, absent (undefined), or null; numbers as ints or floats. */
const maybe = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: a }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) });

const container = fc.record(
  {
    name: maybe(fc.constantFrom(...NAMES)),
    image: maybe(fc.constantFrom(...IMAGES)),
    securityContext: maybe(
      fc.record({ privileged: maybe(fc.boolean()), runAsUser: maybe(fc.constantFrom(...NUMBERS)) }, { requiredKeys: [] }),
    ),
    resources: maybe(
      fc.record(
        {
          limits: maybe(
            fc.record({ memory: maybe(fc.constantFrom(...QUANTITIES)), cpu: maybe(fc.constantFrom(...QUANTITIES)) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    ports: maybe(fc.array(fc.record({ containerPort: fc.constantFrom(80, 443, 8080, 8080.5) }), { maxLength: 2 })),
  },
  { requiredKeys: [] },
);

const podSpec = fc.record(
  {
    containers: maybe(fc.array(container, { maxLength: 3 })),
    initContainers: maybe(fc.array(container, { maxLength: 2 })),
    hostNetwork: maybe(fc.boolean()),
    priority: maybe(fc.constantFrom(...NUMBERS)),
    serviceAccountName: maybe(fc.constantFrom(...NAMES)),
  },
  { requiredKeys: [] },
);

const labels = maybe(fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 3 }));

const clean = (o: unknown): unknown => JSON.parse(JSON.stringify(o));

/** A value one time in `n`, else undefined. */
const sometimes = <T>(a: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

/** The fuzz cluster's namespaces and their labels (namespace selectors read them). */
export const NAMESPACES: Readonly<Record<string, Record<string, string>>> = {
  fuzz: { env: "prod" },
  "team-a": { env: "dev", team: "a" },
  "kube-system": {},
};

/** The object's kind: a Pod, or a Deployment / CronJob carrying the pod in its template. */
function wrapPod(pod: { metadata: object; spec?: unknown }, wrap: string, name: string, namespace: string): KubeObject {
  const meta = { name, namespace };
  if (wrap === "Pod") return { apiVersion: "v1", kind: "Pod", ...pod, metadata: { ...pod.metadata, namespace } } as KubeObject;
  if (wrap === "Deployment") return { apiVersion: "apps/v1", kind: "Deployment", metadata: meta, spec: { selector: {}, template: pod } };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: meta,
    spec: { schedule: "* * * * *", jobTemplate: { spec: { template: pod } } },
  };
}

const podParts = fc.record({ labels, spec: podSpec });
const userInfo = fc.record({ username: fc.constantFrom(...USERS), groups: fc.subarray(GROUPS) }, { requiredKeys: ["username"] });

/**
 * An admission request: CREATE (the object), UPDATE (the object and the existing one: the same
 * kind, name and namespace; sometimes unchanged) or DELETE (the existing object only), by a user
 * (or policyc's default test user).
 */
export const fuzzRequest: fc.Arbitrary<AdmissionRequest> = fc
  .record({
    name: fc.constantFrom(...NAMES),
    wrap: fc.constantFrom("Pod", "Pod", "Deployment", "CronJob"),
    namespace: fc.constantFrom("fuzz", "fuzz", "team-a", "kube-system"),
    now: podParts,
    before: podParts,
    unchanged: fc.boolean(),
    operation: fc.constantFrom<Operation>("CREATE", "CREATE", "UPDATE", "UPDATE", "DELETE"),
    user: sometimes(userInfo, 2),
  })
  .map(({ name, wrap, namespace, now, before, unchanged, operation, user }) => {
    const build = (parts: { labels: unknown; spec: unknown }) =>
      wrapPod(
        clean({ metadata: { name, ...(parts.labels !== undefined ? { labels: parts.labels } : {}) }, spec: parts.spec }) as {
          metadata: object;
        },
        wrap,
        name,
        namespace,
      );
    const object = build(now);
    const oldObject = unchanged ? object : build(before);
    return {
      operation,
      ...(operation !== "DELETE" ? { object } : {}),
      ...(operation !== "CREATE" ? { oldObject } : {}),
      ...(user ? { userInfo: user } : {}),
    };
  });

/** CREATE requests for these objects (regression cases). */
export const creates = (...objects: unknown[]): AdmissionRequest[] =>
  objects.map((o) => ({ operation: "CREATE", object: o as KubeObject }));

const stringOp = fc.constantFrom<StringOp>("startsWith", "endsWith", "contains", "matches", "glob");
const stringArg = (op: StringOp, pool: readonly string[]) =>
  op === "matches"
    ? fc.constantFrom(...REGEXES)
    : op === "glob"
      ? fc.constantFrom(...GLOBS)
      : fc.constantFrom(...pool, ...pool.map((s) => s.slice(0, 2)));

/** Conditions on one container (the quantifier's element). */
function elementExpr(v: string, depth: number): fc.Arbitrary<Expr> {
  const leaf: fc.Arbitrary<Expr>[] = [
    fc.constantFrom("name", "image").map((f): Expr => ({ kind: "exists", field: element(v, f), source: src })),
    fc
      .boolean()
      .map((b): Expr => ({ kind: "compare", op: "eq", left: element(v, "securityContext", "privileged"), right: lit(b), source: src })),
    fc
      .tuple(fc.constantFrom(...ops), fc.constantFrom(...NUMBERS))
      .map(([op, n]): Expr => ({ kind: "compare", op, left: element(v, "securityContext", "runAsUser"), right: lit(n), source: src })),
    stringOp.chain((op) =>
      stringArg(op, IMAGES).map((a): Expr => ({ kind: "string", op, value: element(v, "image"), arg: lit(a), source: src })),
    ),
    fc
      .array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 })
      .map((l): Expr => ({ kind: "in", value: element(v, "name"), list: lit(l), source: src })),
    fc
      .tuple(fc.constantFrom(...ops), fc.constantFrom("512Mi", "1Gi", "100M", "1"))
      .map(([op, q]): Expr => ({ kind: "quantity", op, left: element(v, "resources", "limits", "memory"), right: lit(q), source: src })),
    fc
      .tuple(fc.constantFrom(...ops), fc.nat(2))
      .map(([op, n]): Expr => ({ kind: "count", op, lists: [element(v, "ports")], value: n, source: src })),
    // Parameters (every policy declares PARAMS_SCHEMA; instances give random values).
    fc.constant<Expr>({ kind: "in", value: element(v, "name"), list: param("names"), source: src }),
    // (globs must be literals: policyc turns them into regexes at build time)
    fc
      .constantFrom<StringOp>("startsWith", "endsWith", "contains")
      .map((op): Expr => ({ kind: "string", op, value: element(v, "image"), arg: param("registries"), source: src })),
    fc.constant<Expr>({ kind: "string", op: "matches", value: element(v, "image"), arg: param("pattern"), source: src }),
    fc.constantFrom(...ops).map((op): Expr => ({
      kind: "quantity",
      op,
      left: element(v, "resources", "limits", "memory"),
      right: param("maxMemory"),
      source: src,
    })),
    fc
      .constantFrom(...ops)
      .map((op): Expr => ({ kind: "compare", op, left: element(v, "securityContext", "runAsUser"), right: param("minUser"), source: src })),
    // Image references, normalised.
    fc
      .tuple(fc.constantFrom("registry", "repository", "tag", "digest", "name"), fc.constantFrom(...IMAGE_PARTS_SEEN))
      .map(([part, x]): Expr => compare({ kind: "image", part, of: element(v, "image"), source: src }, lit(x))),
    fc
      .constantFrom("registry", "name")
      .map((part): Expr => str("startsWith", { kind: "image", part, of: element(v, "image"), source: src }, param("registries"))),
    fc.constant<Expr>(str("matches", { kind: "image", part: "tag", of: element(v, "image"), source: src }, param("pattern"))),
    // Strings built from fields.
    fc
      .tuple(fc.constantFrom<"lower" | "upper">("lower", "upper"), fc.constantFrom(...NAMES, "WEB", "WÉB"))
      .map(([to, x]): Expr => compare({ kind: "case", to, of: element(v, "name"), source: src }, lit(x))),
    fc
      .constantFrom(...NAMES.map((n) => `${n}:nginx`), "web:", ":")
      .map((x): Expr => str("startsWith", concat(element(v, "name"), lit(":"), element(v, "image")), lit(x))),
    fc
      .tuple(fc.constantFrom("/", ":", "."), fc.constantFrom("org", "nginx", "a", "", "1"))
      .map(([sep, x]): Expr => quantifier("any", [split(element(v, "image"), sep)], `${v}p`, compare(element(`${v}p`), lit(x)))),
    fc
      .constantFrom("org-app:1.0", "nginx", "a--b", "")
      .map((x): Expr => compare({ kind: "join", list: split(element(v, "image"), "/"), separator: "-", source: src }, lit(x))),
  ];
  if (depth <= 0) return fc.oneof(...leaf);
  const sub = elementExpr(v, depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: fc.oneof(...leaf) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 2, maxLength: 3 }).map((items): Expr => ({ kind: "and", items, source: src })) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 2, maxLength: 3 }).map((items): Expr => ({ kind: "or", items, source: src })) },
    { weight: 1, arbitrary: sub.map((item): Expr => ({ kind: "not", item, source: src })) },
  );
}

const CONTAINER_LISTS = [[subject("spec", "containers")], [subject("spec", "containers"), subject("spec", "initContainers")]];

/** Conditions on the pod. */
function podExpr(depth: number, vars: number, lookups = true): fc.Arbitrary<Expr> {
  const leaf: fc.Arbitrary<Expr>[] = [
    fc.constantFrom(...LABEL_KEYS).map((k): Expr => ({ kind: "exists", field: subject("metadata", "labels", k), source: src })),
    fc.constantFrom("hostNetwork", "priority", "containers").map((f): Expr => ({ kind: "exists", field: subject("spec", f), source: src })),
    fc
      .tuple(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES))
      .map(([k, v]): Expr => ({ kind: "compare", op: "eq", left: subject("metadata", "labels", k), right: lit(v), source: src })),
    fc.boolean().map((b): Expr => ({ kind: "compare", op: "eq", left: subject("spec", "hostNetwork"), right: lit(b), source: src })),
    fc
      .tuple(fc.constantFrom(...ops), fc.constantFrom(...NUMBERS))
      .map(([op, n]): Expr => ({ kind: "compare", op, left: subject("spec", "priority"), right: lit(n), source: src })),
    fc
      .tuple(fc.constantFrom(...LABEL_KEYS), fc.array(fc.constantFrom(...LABEL_VALUES), { minLength: 1, maxLength: 3 }))
      .map(([k, l]): Expr => ({ kind: "in", value: subject("metadata", "labels", k), list: lit(l), source: src })),
    stringOp.chain((op) =>
      stringArg(op, NAMES).map((a): Expr => ({ kind: "string", op, value: subject("metadata", "name"), arg: lit(a), source: src })),
    ),
    fc
      .constantFrom(...LABEL_KEYS)
      .map((k): Expr => ({ kind: "in", value: subject("metadata", "labels", k), list: param("labelValues"), source: src })),
    fc.constant<Expr>({
      kind: "compare",
      op: "eq",
      left: subject("spec", "serviceAccountName"),
      right: param("serviceAccount"),
      source: src,
    }),
    fc
      .tuple(fc.constantFrom(...ops), fc.nat(3), fc.constantFrom(...CONTAINER_LISTS))
      .map(([op, n, lists]): Expr => ({ kind: "count", op, lists, value: n, source: src })),
    fc.tuple(fc.constantFrom<"all" | "any">("all", "any"), fc.constantFrom(...CONTAINER_LISTS)).chain(([q, lists]) => {
      const v = `c${vars}`;
      return elementExpr(v, 1).map((body): Expr => ({ kind: "quantifier", quantifier: q, lists, variable: v, body, source: src }));
    }),
    ...admissionLeaves(vars),
    // A lookup cannot be in a policy's precondition (a match condition).
    // One leaf among the others (a policy with a lookup has no VAP to compare): about one policy in three has one.
    ...(lookups ? [fc.oneof(...lookupLeaves(vars))] : []),
  ];
  if (depth <= 0) return fc.oneof(...leaf);
  const sub = podExpr(depth - 1, vars + 1, lookups);
  return fc.oneof(
    { weight: 4, arbitrary: fc.oneof(...leaf) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 2, maxLength: 3 }).map((items): Expr => ({ kind: "and", items, source: src })) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 2, maxLength: 3 }).map((items): Expr => ({ kind: "or", items, source: src })) },
    { weight: 1, arbitrary: sub.map((item): Expr => ({ kind: "not", item, source: src })) },
  );
}

/** Conditions on the admission context: the old object, the request, the namespace; parameters as keys and lists of objects. */
function admissionLeaves(vars: number): fc.Arbitrary<Expr>[] {
  return [
    fc.constantFrom(...OPERATIONS).map((op): Expr => compare(request("operation"), lit(op))),
    fc.subarray(OPERATIONS, { minLength: 1 }).map((l): Expr => ({ kind: "in", value: request("operation"), list: lit(l), source: src })),
    // The old object against the new one (an immutable label), and alone.
    fc.constantFrom(...LABEL_KEYS).map((k): Expr => compare(subject("metadata", "labels", k), old("metadata", "labels", k))),
    fc.constantFrom(...LABEL_KEYS).map((k): Expr => ({ kind: "exists", field: old("metadata", "labels", k), source: src })),
    fc.boolean().map((b): Expr => compare(old("spec", "hostNetwork"), lit(b))),
    fc
      .tuple(fc.constantFrom(...ops), fc.nat(2))
      .map(([op, n]): Expr => ({ kind: "count", op, lists: [old("spec", "containers")], value: n, source: src })),
    fc.constantFrom(...ops).map((op): Expr => compare(subject("spec", "priority"), old("spec", "priority"), op)),
    // Who asks.
    stringOp.chain((op) => stringArg(op, USERS).map((a): Expr => str(op, request("userInfo", "username"), lit(a)))),
    fc.constant<Expr>(
      compare(
        request("userInfo", "username"),
        concat(lit("system:serviceaccount:"), request("namespace"), lit(":"), subject("spec", "serviceAccountName")),
      ),
    ),
    fc.constantFrom<"all" | "any">("all", "any").map((q): Expr =>
      quantifier(q, [request("userInfo", "groups")], `g${vars}`, {
        kind: "in",
        value: element(`g${vars}`),
        list: param("groups"),
        source: src,
      }),
    ),
    fc
      .constantFrom("admin", "dev,", ",", "system:authenticated")
      .map((x): Expr => str("contains", { kind: "join", list: request("userInfo", "groups"), separator: ",", source: src }, lit(x))),
    // Where.
    fc.constantFrom(...Object.keys(NAMESPACES), "").map((n): Expr => compare(request("namespace"), lit(n))),
    fc
      .tuple(fc.constantFrom("env", "team"), fc.constantFrom("prod", "dev", "a"))
      .map(([k, x]): Expr => compare(namespace("metadata", "labels", k), lit(x))),
    fc.constant<Expr>({ kind: "exists", field: namespace("metadata", "labels", key(param("labelKey"))), source: src }),
    fc.constant<Expr>({ kind: "exists", field: namespace("metadata", "labels", "team"), source: src }),
    // Parameters as map keys, as conditions, and as lists of objects.
    fc.constant<Expr>({ kind: "exists", field: subject("metadata", "labels", key(param("labelKey"))), source: src }),
    fc.constantFrom(...LABEL_VALUES).map((x): Expr => compare(subject("metadata", "labels", key(param("labelKey"))), lit(x))),
    fc.boolean().map((b): Expr => compare(param("strict"), lit(b))),
    fc.constantFrom<"all" | "any">("all", "any").map((q): Expr => {
      const r = `r${vars}`;
      const value = subject("metadata", "labels", key(element(r, "key")));
      return quantifier(q, [param("required")], r, {
        kind: "and",
        items: [{ kind: "exists", field: value, source: src }, str("matches", value, element(r, "pattern"))],
        source: src,
      });
    }),
    // A map's keys.
    fc
      .tuple(fc.constantFrom<"all" | "any">("all", "any"), fc.constantFrom("tier", "app", "team", ""))
      .map(([q, x]): Expr =>
        quantifier(
          q,
          [{ kind: "keys", of: subject("metadata", "labels"), source: src }],
          `k${vars}`,
          str("startsWith", element(`k${vars}`), lit(x)),
        ),
      ),
    fc.tuple(fc.constantFrom(...ops), fc.nat(3)).map(([op, n]): Expr => ({
      kind: "count",
      op,
      lists: [{ kind: "keys", of: namespace("metadata", "labels"), source: src }],
      value: n,
      source: src,
    })),
    // Strings built from the request and the object.
    fc
      .constantFrom("fuzz:web", "team-a:db", ":web", "fuzz:")
      .map((x): Expr => compare(concat(request("namespace"), lit(":"), subject("metadata", "name")), lit(x))),
    fc
      .constantFrom("app", "1", "web", "")
      .map((x): Expr => quantifier("any", [split(subject("metadata", "name"), "-")], `n${vars}`, compare(element(`n${vars}`), lit(x)))),
  ];
}

/** Where a lookup looks: the request's namespace, a fixed one, one read from the object (maybe missing), or everywhere. */
const lookupNamespace: fc.Arbitrary<Value | undefined> = fc.constantFrom<Value | undefined>(
  request("namespace"),
  request("namespace"),
  lit("team-a"),
  lit("kube-system"),
  subject("metadata", "labels", "team"),
  undefined,
);

/**
 * Conditions on other objects of the cluster (lookups): NetworkPolicies selecting the pod,
 * Services by name (get) or by label, others of the subject's own kinds (uniqueness: the object
 * under review is left out), counts; an element read inside a lookup's name.
 */
function lookupLeaves(vars: number): fc.Arbitrary<Expr>[] {
  const v = `o${vars}`;
  const podLabels = subject("metadata", "labels");
  return [
    fc
      .tuple(
        fc.constantFrom<"all" | "any">("any", "all"),
        lookupNamespace,
        // Values a label can hold (a lookup of another is refused at build time).
        sometimes(fc.constantFrom(...LABEL_VALUES.filter((x) => /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$|^$/.test(x))), 3),
      )
      .map(([q, namespace, tier]): Expr =>
        quantifier(
          q,
          [
            lookup("NetworkPolicy", {
              ...(namespace ? { namespace } : {}),
              ...(tier !== undefined ? { labels: [{ key: "tier", value: lit(tier) }] } : {}),
            }),
          ],
          v,
          selects("labelSelector", element(v, "spec", "podSelector"), podLabels),
        ),
      ),
    // get(): one Service by the object's name, its selector against the pod's labels.
    lookupNamespace.map((namespace): Expr =>
      quantifier(
        "any",
        [lookup("Service", { ...(namespace ? { namespace } : {}), name: subject("metadata", "name") })],
        v,
        selects("map", element(v, "spec", "selector"), podLabels),
      ),
    ),
    // Uniqueness among the subject's own kinds: the object under review is never among them.
    fc.tuple(fc.constantFrom<keyof typeof BUILTIN_KINDS>("Pod", "Deployment"), lookupNamespace).map(([kind, namespace]): Expr => ({
      kind: "not",
      item: quantifier(
        "any",
        [lookup(kind, namespace ? { namespace } : {})],
        v,
        compare(element(v, "metadata", "name"), subject("metadata", "name")),
      ),
      source: src,
    })),
    fc
      .tuple(
        fc.constantFrom<keyof typeof BUILTIN_KINDS>("Service", "Pod", "NetworkPolicy", "Namespace"),
        fc.constantFrom(...ops),
        fc.nat(3),
      )
      .map(([kind, op, n]): Expr => ({
        kind: "count",
        op,
        lists: [lookup(kind, kind === "Namespace" ? {} : { namespace: request("namespace") })],
        value: n,
        source: src,
      })),
    // A label from the object: a missing or odd value finds none.
    fc.constantFrom(...LABEL_KEYS).map((k): Expr => ({
      kind: "count",
      op: "gt",
      lists: [lookup("Pod", { labels: [{ key: "app", value: subject("metadata", "labels", k) }] })],
      value: 0,
      source: src,
    })),
    // A lookup reading a loop's element (never bound as a CEL variable).
    fc.constant<Expr>(
      quantifier(
        "all",
        [subject("spec", "containers")],
        `c${vars}`,
        quantifier("any", [lookup("Service", { name: element(`c${vars}`, "name") })], v, {
          kind: "exists",
          field: element(v, "spec", "selector"),
          source: src,
        }),
      ),
    ),
    // A map selector read from the object against another's labels.
    fc.constant<Expr>(
      quantifier(
        "any",
        [lookup("Pod", { namespace: request("namespace") })],
        v,
        selects("map", podLabels, element(v, "metadata", "labels")),
      ),
    ),
  ];
}

/** Selectors as objects carry them: well formed, empty, null, missing, and malformed. */
const clusterSelector = fc.oneof(
  fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 2 }).map((matchLabels) => ({ matchLabels })),
  fc
    .array(
      fc.record(
        {
          key: fc.constantFrom(...LABEL_KEYS),
          operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist", "Bogus"),
          values: fc.array(fc.constantFrom(...LABEL_VALUES), { maxLength: 2 }),
        },
        { requiredKeys: ["operator"] },
      ),
      { maxLength: 2 },
    )
    .map((matchExpressions) => ({ matchExpressions })),
  fc.constantFrom<unknown>({}, null, undefined, { matchLabels: "app=web" }, { matchExpressions: "x" }, { matchLabels: null }),
);

/** Objects the cluster holds around a request: some of the request's own identity (its stored self). */
export const clusterObjects: fc.Arbitrary<KubeObject[]> = fc
  .array(
    fc.record({
      kind: fc.constantFrom("NetworkPolicy", "Service", "Pod", "Deployment"),
      name: fc.constantFrom(...NAMES),
      namespace: fc.constantFrom("fuzz", "team-a", "kube-system"),
      labels,
      tier: sometimes(fc.constantFrom(...LABEL_VALUES), 2),
      selector: clusterSelector,
      map: maybe(fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 2 })),
    }),
    { maxLength: 6 },
  )
  .map((xs) =>
    xs.map(({ kind, name, namespace, labels: l, tier, selector: sel, map }) => {
      const metadata = { name, namespace, labels: { ...(l ?? {}), ...(tier !== undefined ? { tier } : {}) } };
      const objects: Record<string, object> = {
        NetworkPolicy: { apiVersion: "networking.k8s.io/v1", kind, metadata, spec: { podSelector: sel } },
        Service: { apiVersion: "v1", kind, metadata, spec: { selector: map } },
        Pod: { apiVersion: "v1", kind, metadata, spec: { containers: [] } },
        Deployment: { apiVersion: "apps/v1", kind, metadata, spec: { selector: sel } },
      };
      return clean(objects[kind]) as KubeObject;
    }),
  );

const message = (i: number): Message => ({
  parts: [
    { kind: "text", text: `rule ${i} is violated for ` },
    { kind: "value", value: subject("metadata", "name") },
    { kind: "text", text: " (allowed: " },
    { kind: "value", value: param("serviceAccount") },
    { kind: "text", text: ")" },
  ],
  source: src,
});

/** Every fuzz policy's parameters; the expressions above read them. */
export const PARAMS_SCHEMA = {
  type: "object",
  properties: {
    names: { type: "array", items: { type: "string" } },
    registries: { type: "array", items: { type: "string" } },
    pattern: { type: "string" },
    maxMemory: { type: "string" },
    minUser: { type: "number" },
    labelValues: { type: "array", items: { type: "string" } },
    serviceAccount: { type: "string" },
    labelKey: { type: "string" },
    strict: { type: "boolean" },
    groups: { type: "array", items: { type: "string" } },
    required: {
      type: "array",
      items: { type: "object", properties: { key: { type: "string" }, pattern: { type: "string" } } },
    },
  },
} as const;

/** Tricky strings for parameters: quoting, escapes, template syntax, unicode. */
const TRICKY = ['"', "\\", "'", "${x}", "{{ x }}", "$(x)", "%v", "a\nb", "- x", ": y", "#", "😀", "é"];
const paramValues = fc.record({
  names: fc.array(fc.constantFrom(...NAMES, ...TRICKY), { maxLength: 3 }),
  registries: fc.array(fc.constantFrom("nginx", "ghcr.io/", "registry.example.com/", ":latest", "@sha256:", ...TRICKY), { maxLength: 3 }),
  pattern: fc.constantFrom(...REGEXES),
  maxMemory: fc.constantFrom("512Mi", "1Gi", "100M", "1", "1.5Gi"),
  minUser: fc.constantFrom(...NUMBERS),
  labelValues: fc.array(fc.constantFrom(...LABEL_VALUES, ...TRICKY), { maxLength: 3 }),
  // Shown in every message: no line break, which the CEL targets cannot carry in a message (a build error).
  serviceAccount: fc.constantFrom(...NAMES, ...TRICKY.filter((t) => !t.includes("\n"))),
  labelKey: fc.constantFrom(...LABEL_KEYS, "env", "", ...TRICKY),
  strict: fc.boolean(),
  groups: fc.array(fc.constantFrom(...GROUPS, ...TRICKY), { maxLength: 3 }),
  required: fc.array(fc.record({ key: fc.constantFrom(...LABEL_KEYS, ...TRICKY), pattern: fc.constantFrom(...REGEXES) }), { maxLength: 2 }),
});

const selector = fc.oneof(
  fc
    .dictionary(fc.constantFrom("env", "team", "app"), fc.constantFrom("prod", "dev", "a", "web"), { minKeys: 1, maxKeys: 2 })
    .map((matchLabels) => ({ matchLabels })),
  fc
    .tuple(
      fc.constantFrom("env", "team", "app"),
      fc.constantFrom<"In" | "NotIn" | "Exists" | "DoesNotExist">("In", "NotIn", "Exists", "DoesNotExist"),
      fc.array(fc.constantFrom("prod", "dev", "a", "web"), { minLength: 1, maxLength: 2 }),
    )
    .map(([key, operator, values]) => ({
      matchExpressions: [{ key, operator, ...(operator === "In" || operator === "NotIn" ? { values } : {}) }],
    })),
);

/** Which requests the policy applies to: operations, namespaces, label and namespace selectors. */
const match: fc.Arbitrary<Match> = fc
  .record(
    {
      operations: fc.constantFrom<Match["operations"]>(
        ["CREATE", "UPDATE"],
        ["CREATE"],
        ["UPDATE"],
        ["DELETE"],
        ["CREATE", "UPDATE", "DELETE"],
      ),
      include: fc.subarray(Object.keys(NAMESPACES), { minLength: 1 }),
      exclude: fc.subarray(Object.keys(NAMESPACES), { minLength: 1 }),
      labelSelector: selector,
      namespaceSelector: selector,
    },
    { requiredKeys: ["operations"] },
  )
  .map(({ operations, include, exclude, labelSelector, namespaceSelector }) => ({
    kinds: [BUILTIN_KINDS.Pod],
    operations,
    ...(include || exclude ? { namespaces: { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) } } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(namespaceSelector ? { namespaceSelector } : {}),
  }));

/**
 * A fixed message, shown exactly as written on every target: spacing and punctuation a tidier
 * would "fix", a byte-order mark, markup, and any text without a line break (which the CEL targets
 * cannot carry in a message).
 */
const fixedMessage = fc
  .oneof(
    fc.constantFrom(
      "two  spaces , and a space before ? punctuation !",
      "  leading and trailing whitespace  ",
      "\ufeffa byte-order mark first",
      "https://example.com/x ?a=1",
      "\"quoted\" 'single' `back` {braces} [brackets] <angle> %v %s ${x}",
      ". starts with punctuation",
    ),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).filter((t) => !/[\r\n\u0085\u2028\u2029]/.test(t) && t.trim().length > 0),
  )
  .map((text): Message => ({ parts: [{ kind: "text", text }], source: src }));

const plainRule = (i: number): fc.Arbitrary<Rule> =>
  fc
    .record({ assert: podExpr(2, 0), when: sometimes(podExpr(0, 10), 2), fixed: sometimes(fixedMessage, 3) })
    .map(({ assert, when, fixed }) => ({
      name: `rule-${i}`,
      assert,
      ...(when ? { when } : {}),
      message: fixed ?? message(i),
      source: src,
    }));

/** "No object of the cluster like this": the message names the one found (the API server's list order decides which CEL reports). */
const lookupRule = (i: number): fc.Arbitrary<Rule> =>
  fc
    .tuple(fc.constantFrom<keyof typeof BUILTIN_KINDS>("Pod", "NetworkPolicy", "Service"), lookupNamespace, fc.constantFrom(...LABEL_KEYS))
    .map(([kind, namespace, k]): Rule => ({
      name: `rule-${i}`,
      assert: {
        kind: "not",
        item: quantifier(
          "any",
          [lookup(kind, namespace ? { namespace } : {})],
          "found",
          compare(element("found", "metadata", "labels", k), subject("metadata", "labels", k)),
        ),
        source: src,
      },
      message: {
        parts: [
          { kind: "text", text: `${kind} ` },
          { kind: "value", value: element("found", "metadata", "namespace") },
          { kind: "text", text: "/" },
          { kind: "value", value: element("found", "metadata", "name") },
          { kind: "text", text: ` shares label ${k}` },
        ],
        source: src,
      },
      source: src,
    }));

const rule = (i: number): fc.Arbitrary<Rule> => fc.oneof({ weight: 5, arbitrary: plainRule(i) }, { weight: 1, arbitrary: lookupRule(i) });

/** Label selectors over the pods' labels, of valid label values (an exception's `labels`). */
const podLabelSelector = fc.oneof(
  fc
    .dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom("web", "db", "", "a-b", "x.y", "100", "true"), { minKeys: 1, maxKeys: 2 })
    .map((matchLabels) => ({ matchLabels })),
  fc
    .tuple(
      fc.constantFrom(...LABEL_KEYS),
      fc.constantFrom<"In" | "NotIn" | "Exists" | "DoesNotExist">("In", "NotIn", "Exists", "DoesNotExist"),
      fc.array(fc.constantFrom("web", "db", "", "a-b"), { minLength: 1, maxLength: 2 }),
    )
    .map(([key, operator, values]) => ({
      matchExpressions: [{ key, operator, ...(operator === "In" || operator === "NotIn" ? { values } : {}) }],
    })),
);

/**
 * An exception of the fuzz policy: a random conjunction of criteria (kinds, namespaces, exact and
 * glob names, object labels, users and groups), or a namespace-label selector alone (which Kyverno
 * cannot carry: compileCase opts that target out, as a user would).
 */
const exception = (i: number): fc.Arbitrary<Exception> =>
  fc
    .oneof(
      {
        weight: 9,
        arbitrary: fc
          .record(
            {
              kinds: fc.subarray(
                [
                  { group: "", kind: "Pod" },
                  { group: "apps", kind: "Deployment" },
                  { group: "batch", kind: "CronJob" },
                ],
                { minLength: 1 },
              ),
              namespaces: fc.subarray([...Object.keys(NAMESPACES), "elsewhere"], { minLength: 1 }),
              names: fc.subarray(["web", "db", "app-*", "app-?", "?b", "x", "s*car", "*", "nothing"], { minLength: 1 }),
              labelSelector: podLabelSelector,
              users: fc.subarray(USERS.filter(Boolean), { minLength: 1 }),
              groups: fc.subarray(GROUPS, { minLength: 1 }),
            },
            { requiredKeys: [] },
          )
          .filter((m) => Object.keys(m).some((k) => k !== "kinds")),
      },
      // One requirement: what the VAP binding's and the Constraint's namespaceSelector can negate.
      {
        weight: 1,
        arbitrary: selector
          .filter((s: LabelSelector) => Object.keys(s.matchLabels ?? {}).length + (s.matchExpressions?.length ?? 0) === 1)
          .map((namespaceSelector) => ({ namespaceSelector })),
      },
    )
    .map((match) => ({
      kind: "exception" as const,
      name: `fuzz-exception-${i}`,
      policies: ["fuzz-policy"],
      match: clean(match) as Exception["match"],
      reason: "fuzz",
      source: src,
    }));

export const policy: fc.Arbitrary<Policy> = fc
  .record({
    exceptions: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as Exception[]) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => exception(i)))) },
    ),
    rules: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => rule(i)))),
    when: sometimes(podExpr(0, 20, false), 4),
    enforcement: fc.constantFrom<Policy["enforcement"]>("enforce", "audit", "warn"),
    match: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Match>({ kinds: [BUILTIN_KINDS.Pod], operations: ["CREATE", "UPDATE"] }) },
      { weight: 1, arbitrary: fc.constant<Match>({ kinds: [BUILTIN_KINDS.Pod], operations: ["CREATE", "UPDATE", "DELETE"] }) },
      { weight: 1, arbitrary: match },
    ),
    instances: fc.array(paramValues, { minLength: 1, maxLength: 2 }),
  })
  .map(({ rules, when, enforcement, match, instances, exceptions }) => ({
    kind: "policy" as const,
    name: "fuzz-policy",
    subject: "pod" as const,
    match,
    ...(when ? { when } : {}),
    rules,
    enforcement,
    params: PARAMS_SCHEMA,
    instances: instances.map((values, i) => ({ ...(instances.length > 1 ? { name: `instance-${i}` } : {}), values, source: src })),
    targets: { kyverno: { enabled: true }, kubernetes: { enabled: true }, gatekeeper: { enabled: true } } as const,
    ...(exceptions.length ? { exceptions } : {}),
    source: src,
  }));

/** One differential case: a policy and the requests it is evaluated on. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  policy,
  requests: fc.array(fuzzRequest, { minLength: 1, maxLength: 4 }),
  cluster: clusterObjects,
});
export interface FuzzCase {
  readonly policy: Policy;
  readonly requests: readonly AdmissionRequest[];
  /** The objects of the cluster the requests are admitted into (lookups read them). */
  readonly cluster?: readonly KubeObject[];
}
