/**
 * The policyc intermediate representation, written once as zod schemas: `ir/types.ts` infers the
 * TypeScript types from them, and `validate` parses with them. Plain, JSON-serialisable data only
 * (no classes, closures or Maps), so a JSON round trip of a policy deep-equals the policy.
 */
import { z } from "zod";
import { kindRefSchema, labelSelectorSchema, operationSchema } from "../kube/index.js";

/** Where a node was written, in the user's policy file (1-based line and column). */
export const sourceSchema = z.object({ file: z.string(), line: z.number().int(), column: z.number().int() }).strict();

export const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/**
 * What a field path starts from:
 * - `subject`: the admitted object, or for pod policies the pod or the pod template of a controller;
 * - `oldSubject`: the same of the existing object (UPDATE, DELETE); missing on CREATE;
 * - `element`: an element bound by an enclosing quantifier;
 * - `request`: the admission request (`operation`, `namespace`, `name`, `userInfo.username`,
 *   `userInfo.uid`, `userInfo.groups`);
 * - `namespace`: the Namespace object of the request's namespace (missing for cluster-scoped objects).
 */
export const SCOPE_KINDS = ["subject", "oldSubject", "element", "request", "namespace"] as const;
const scope = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("subject") }).strict(),
  z.object({ kind: z.literal("oldSubject") }).strict(),
  z.object({ kind: z.literal("element"), variable: z.string().min(1) }).strict(),
  z.object({ kind: z.literal("request") }).strict(),
  z.object({ kind: z.literal("namespace") }).strict(),
]);

/** A key read from a value (a parameter, an element's field) rather than written in the path. */
export const keySegmentSchema = z
  .object({
    kind: z.literal("key"),
    get key(): typeof valueSchema {
      return valueSchema;
    },
  })
  .strict();

/** Path segments from a scope to a value: field names, or keys computed from values. */
const fieldPath = z.array(z.union([z.string(), keySegmentSchema]));

/** A value read from the request: the admitted object, the old one, the request, an element. */
export const fieldRefSchema = z.object({ kind: z.literal("field"), scope, path: fieldPath, source: sourceSchema }).strict();

/** A constant written in the policy. */
export const literalSchema = z
  .object({ kind: z.literal("literal"), value: z.union([scalarSchema, z.array(scalarSchema)]), source: sourceSchema })
  .strict();

/**
 * A policy parameter (a static path into the instance's values). Gatekeeper reads it from the
 * Constraint's `parameters`; the CEL targets inline the instance's value.
 */
export const paramRefSchema = z.object({ kind: z.literal("param"), path: z.array(z.string()).min(1), source: sourceSchema }).strict();

export const IMAGE_PARTS = ["registry", "repository", "tag", "digest", "name"] as const;

/**
 * A part of a container image reference, normalised as the container runtime normalises it:
 * `nginx` is registry `docker.io`, repository `library/nginx`, tag `latest`; `name` is
 * registry/repository. Missing when the value is not a string.
 */
export const imageValueSchema = z
  .object({
    kind: z.literal("image"),
    part: z.enum(IMAGE_PARTS),
    get of(): typeof valueSchema {
      return valueSchema;
    },
    source: sourceSchema,
  })
  .strict();

/** Strings joined end to end; missing when any part is missing or not a string. */
export const concatValueSchema = z
  .object({
    kind: z.literal("concat"),
    get items(): z.ZodArray<typeof valueSchema> {
      return z.array(valueSchema).min(1);
    },
    source: sourceSchema,
  })
  .strict();

/** ASCII lower or upper case of a string (the case mapping CEL and Rego share); missing when not a string. */
export const caseValueSchema = z
  .object({
    kind: z.literal("case"),
    to: z.enum(["lower", "upper"]),
    get of(): typeof valueSchema {
      return valueSchema;
    },
    source: sourceSchema,
  })
  .strict();

/** A list's strings joined with a separator; missing when an item is not a string. */
export const joinValueSchema = z
  .object({
    kind: z.literal("join"),
    get list(): typeof listSchema {
      return listSchema;
    },
    separator: z.string(),
    source: sourceSchema,
  })
  .strict();

/** A value a condition compares: read, written, a parameter, or computed from those. */
export const valueSchema: z.ZodDiscriminatedUnion<
  [
    typeof fieldRefSchema,
    typeof literalSchema,
    typeof paramRefSchema,
    typeof imageValueSchema,
    typeof concatValueSchema,
    typeof caseValueSchema,
    typeof joinValueSchema,
  ]
> = z.discriminatedUnion("kind", [
  fieldRefSchema,
  literalSchema,
  paramRefSchema,
  imageValueSchema,
  concatValueSchema,
  caseValueSchema,
  joinValueSchema,
]);

/** A string split at a separator into a list; empty when it is not a string. */
export const splitListSchema = z
  .object({
    kind: z.literal("split"),
    get of(): typeof valueSchema {
      return valueSchema;
    },
    separator: z.string().min(1),
    source: sourceSchema,
  })
  .strict();

/** The keys of a map (labels, annotations); empty when the value is not a map. */
export const keysListSchema = z
  .object({
    kind: z.literal("keys"),
    get of(): typeof valueSchema {
      return valueSchema;
    },
    source: sourceSchema,
  })
  .strict();

/** A label an object looked up must carry, with this value. */
export const lookupLabelSchema = z
  .object({
    key: z.string().min(1),
    get value(): typeof valueSchema {
      return valueSchema;
    },
  })
  .strict();

/**
 * Objects of a kind the cluster holds (Kyverno's `resource.List`, Gatekeeper's `data.inventory`):
 * in `namespace` (absent: every namespace, and always for a cluster-scoped kind), named `name`
 * when given (at most one object), carrying every label of `labels`. The object under review is
 * never among them (see `ir/lookups.ts`). Empty when the cluster holds none.
 */
export const lookupListSchema = z
  .object({
    kind: z.literal("lookup"),
    target: kindRefSchema,
    get namespace(): z.ZodOptional<typeof valueSchema> {
      return valueSchema.optional();
    },
    get name(): z.ZodOptional<typeof valueSchema> {
      return valueSchema.optional();
    },
    labels: z.array(lookupLabelSchema).optional(),
    source: sourceSchema,
  })
  .strict();

/** A list to iterate or count: a list field, a list parameter, a split string, a map's keys, or objects looked up. A missing list is empty. */
export const listSchema: z.ZodDiscriminatedUnion<
  [typeof fieldRefSchema, typeof paramRefSchema, typeof splitListSchema, typeof keysListSchema, typeof lookupListSchema]
> = z.discriminatedUnion("kind", [fieldRefSchema, paramRefSchema, splitListSchema, keysListSchema, lookupListSchema]);

export const compareOpSchema = z.enum(["eq", "lt", "le", "gt", "ge"]);
export const stringOpSchema = z.enum(["startsWith", "endsWith", "contains", "matches", "glob"]);

/*
 * Boolean conditions. Leaf predicates are false when the field they read is missing or of the
 * wrong type; negations (`not equals`, `absent`, `not in`) are written as `not` of a leaf, so a
 * missing field satisfies them. Recursive members use getters, so zod infers the recursive type.
 */
export const constExpr = z.object({ kind: z.literal("const"), value: z.boolean(), source: sourceSchema }).strict();
export const existsExpr = z.object({ kind: z.literal("exists"), field: fieldRefSchema, source: sourceSchema }).strict();
/** Equality (any JSON values) or ordering (numbers); false when either side is missing. */
export const compareExpr = z
  .object({ kind: z.literal("compare"), op: compareOpSchema, left: valueSchema, right: valueSchema, source: sourceSchema })
  .strict();
/** True when the value equals one of the list's items (a literal list, or a list value). */
export const inExpr = z
  .object({
    kind: z.literal("in"),
    value: valueSchema,
    list: z.discriminatedUnion("kind", [literalSchema, fieldRefSchema, paramRefSchema, splitListSchema, keysListSchema]),
    source: sourceSchema,
  })
  .strict();
/** A string predicate; when the argument's value is a list, true when it holds for any of its items. */
export const stringExpr = z
  .object({ kind: z.literal("string"), op: stringOpSchema, value: valueSchema, arg: valueSchema, source: sourceSchema })
  .strict();
/** Kubernetes resource quantities (`500m`, `1Gi`) compared by value. */
export const quantityExpr = z
  .object({ kind: z.literal("quantity"), op: compareOpSchema, left: valueSchema, right: valueSchema, source: sourceSchema })
  .strict();
/**
 * A label selector selects a set of labels, as Kubernetes matches them. `labelSelector`: a
 * LabelSelector object (`matchLabels` and `matchExpressions`, all of them; `{}` selects every set,
 * a missing or null selector none; an unknown operator selects nothing). `map`: a plain map of
 * labels, as a Service's `spec.selector` (every pair present; a missing or empty map selects none).
 * False when `labels` is not a map of labels (a missing map is an empty set of labels).
 */
export const selectsExpr = z
  .object({
    kind: z.literal("selects"),
    style: z.enum(["labelSelector", "map"]),
    selector: valueSchema,
    labels: valueSchema,
    source: sourceSchema,
  })
  .strict();
/** Number of elements of the concatenated lists (missing lists count as empty). */
export const countExpr = z
  .object({
    kind: z.literal("count"),
    op: compareOpSchema,
    lists: z.array(listSchema).min(1),
    value: z.number().int().nonnegative(),
    source: sourceSchema,
  })
  .strict();
/**
 * `all`: the body holds for every element; `any`: for at least one. The lists are concatenated
 * (e.g. containers + initContainers + ephemeralContainers); a missing list is empty. The body
 * reads the element through `{ kind: "element", variable }`.
 */
export const quantifierExpr = z
  .object({
    kind: z.literal("quantifier"),
    quantifier: z.enum(["all", "any"]),
    lists: z.array(listSchema).min(1),
    variable: z.string().regex(/^[a-z][A-Za-z0-9_]*$/),
    get body(): typeof exprSchema {
      return exprSchema;
    },
    source: sourceSchema,
  })
  .strict();
export const andExpr = z
  .object({
    kind: z.literal("and"),
    get items(): z.ZodArray<typeof exprSchema> {
      return z.array(exprSchema).min(1);
    },
    source: sourceSchema,
  })
  .strict();
export const orExpr = z
  .object({
    kind: z.literal("or"),
    get items(): z.ZodArray<typeof exprSchema> {
      return z.array(exprSchema).min(1);
    },
    source: sourceSchema,
  })
  .strict();
export const notExpr = z
  .object({
    kind: z.literal("not"),
    get item(): typeof exprSchema {
      return exprSchema;
    },
    source: sourceSchema,
  })
  .strict();

// Annotated, so declaration files name the union instead of expanding it at every use.
export const exprSchema: z.ZodDiscriminatedUnion<
  [
    typeof constExpr,
    typeof existsExpr,
    typeof compareExpr,
    typeof inExpr,
    typeof stringExpr,
    typeof quantityExpr,
    typeof countExpr,
    typeof selectsExpr,
    typeof quantifierExpr,
    typeof andExpr,
    typeof orExpr,
    typeof notExpr,
  ]
> = z.discriminatedUnion("kind", [
  constExpr,
  existsExpr,
  compareExpr,
  inExpr,
  stringExpr,
  quantityExpr,
  countExpr,
  selectsExpr,
  quantifierExpr,
  andExpr,
  orExpr,
  notExpr,
]);

/** A message shown when a rule is violated: text with interpolated values. */
export const messagePartSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("text"), text: z.string() }).strict(),
  z.object({ kind: z.literal("value"), value: valueSchema }).strict(),
]);
export const messageSchema = z.object({ parts: z.array(messagePartSchema), source: sourceSchema }).strict();

/**
 * One validation. The resource passes the rule when `when` is false or `assert` holds. The
 * message may interpolate the elements that make `assert` fail (see `ir/witness.ts`).
 */
export const ruleSchema = z
  .object({ name: z.string(), when: exprSchema.optional(), assert: exprSchema, message: messageSchema, source: sourceSchema })
  .strict();

export const matchSchema = z
  .object({
    kinds: z.array(kindRefSchema),
    operations: z.array(operationSchema).min(1),
    namespaces: z
      .object({ include: z.array(z.string()).optional(), exclude: z.array(z.string()).optional() })
      .strict()
      .optional(),
    labelSelector: labelSelectorSchema.optional(),
    namespaceSelector: labelSelectorSchema.optional(),
  })
  .strict();

export const ENFORCEMENTS = ["enforce", "audit", "warn"] as const;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const TARGET_NAMES = ["kyverno", "kubernetes", "gatekeeper"] as const;

/** A target is emitted unless the policy opts out of it, with a reason. */
const targetSetting = z.discriminatedUnion("enabled", [
  z.object({ enabled: z.literal(true) }).strict(),
  z.object({ enabled: z.literal(false), reason: z.string().min(1), source: sourceSchema }).strict(),
]);

/** One named set of parameter values. A policy without parameters has one unnamed instance. */
export const instanceSchema = z
  .object({ name: z.string().optional(), values: z.record(z.string(), z.unknown()), source: sourceSchema })
  .strict();

/**
 * What an exception exempts: a request is exempt from the policies the exception names when
 * every criterion given holds. Within a criterion the items are alternatives; `users` and
 * `groups` together are one criterion (the requesting user is one of `users`, or in one of
 * `groups`), as RBAC subjects are.
 * - `kinds`: the admitted object's group and kind;
 * - `namespaces`: the admitted object's namespace (cluster-scoped objects have none);
 * - `names`: the admitted object's name, exact or a glob (`*` any run of characters, `?` one);
 * - `labelSelector`: the admitted object's own labels (a controller's, not its pod template's);
 * - `namespaceSelector`: the labels of the object's namespace;
 * - `users`: usernames, service accounts as `system:serviceaccount:<namespace>:<name>`;
 * - `groups`: group names.
 */
export const exceptionMatchSchema = z
  .object({
    kinds: z
      .array(z.object({ group: z.string(), kind: z.string().min(1) }).strict())
      .min(1)
      .optional(),
    namespaces: z.array(z.string().min(1)).min(1).optional(),
    names: z.array(z.string().min(1)).min(1).optional(),
    labelSelector: labelSelectorSchema.optional(),
    namespaceSelector: labelSelectorSchema.optional(),
    users: z.array(z.string().min(1)).min(1).optional(),
    groups: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

/**
 * An exception as the build attaches it to each policy it names: the policy is not applied to a
 * request the match selects. `rules` (when given) are the policy's rules it exempts; the build
 * accepts only what every target can express. `expires` is a date (`YYYY-MM-DD`).
 */
export const exceptionSchema = z
  .object({
    kind: z.literal("exception"),
    name: z.string(),
    policies: z.array(z.string()).min(1),
    rules: z.array(z.string()).min(1).optional(),
    match: exceptionMatchSchema,
    reason: z.string().min(1),
    expires: z.string().optional(),
    source: sourceSchema,
  })
  .strict();

export const policySchema = z
  .object({
    kind: z.literal("policy"),
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    category: z.string().optional(),
    severity: z.enum(SEVERITIES).optional(),
    /**
     * `pod`: rules read a Pod; pod controllers are covered by reading their pod template.
     * `resource`: rules read the admitted object itself.
     */
    subject: z.enum(["resource", "pod"]),
    match: matchSchema,
    /** Policy-wide precondition: the policy does not apply where it is false. */
    when: exprSchema.optional(),
    rules: z.array(ruleSchema),
    enforcement: z.enum(ENFORCEMENTS),
    /** A JSON Schema (OpenAPI v3 structural subset) for the parameters. */
    params: z.record(z.string(), z.unknown()).optional(),
    instances: z.array(instanceSchema),
    targets: z.object({ kyverno: targetSetting, kubernetes: targetSetting, gatekeeper: targetSetting }).strict(),
    /** The exceptions that name this policy, in build order (attached by the build). */
    exceptions: z.array(exceptionSchema).optional(),
    source: sourceSchema,
  })
  .strict();

/*
 * Mutations. A mutation is a list of steps applied in order to the admitted object (for a `pod`
 * mutation, the Pod or the pod template of a controller). Every step is idempotent: applying the
 * mutation to its own result changes nothing.
 */

/** The containers lists a per-container step walks. */
export const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;

/**
 * One change at a path (field names from the step's root, never into a list):
 * - `set`: the scalar at `path`, created with its parents; `ifAbsent` only where the field is absent (a default);
 * - `addToSet` / `removeFromSet`: a list of scalars at `path`, gaining the values it lacks (in
 *   the order given, after its own items) or losing every item equal to one of them;
 * - `metadata`: a label or an annotation, only where the key is absent (as Gatekeeper's AssignMetadata),
 *   its value written or copied from a label of the object's Namespace;
 * - `rewriteRegistry`: a container's image whose registry (normalised: `nginx` is on `docker.io`)
 *   is `from` becomes `to/<repository>` with the tag and digest it was written with.
 */
export const mutationOpSchema = z.discriminatedUnion("op", [
  z
    .object({
      op: z.literal("set"),
      path: z.array(z.string().min(1)).min(1),
      /** Indices of `path`'s segments that are keys of a map (`resources.requests.cpu`: 2), not field names. */
      keys: z.array(z.number().int().nonnegative()),
      value: scalarSchema,
      ifAbsent: z.boolean(),
      source: sourceSchema,
    })
    .strict(),
  z
    .object({
      op: z.enum(["addToSet", "removeFromSet"]),
      path: z.array(z.string().min(1)).min(1),
      keys: z.array(z.number().int().nonnegative()),
      values: z.array(scalarSchema).min(1),
      source: sourceSchema,
    })
    .strict(),
  z
    .object({
      op: z.literal("metadata"),
      field: z.enum(["labels", "annotations"]),
      key: z.string().min(1),
      /** The value written; or, with `fromNamespaceLabel`, the value of that label of the object's Namespace (nothing when it has none). */
      value: z.string().optional(),
      fromNamespaceLabel: z.string().min(1).optional(),
      source: sourceSchema,
    })
    .strict(),
  z.object({ op: z.literal("rewriteRegistry"), from: z.string().min(1), to: z.string().min(1), source: sourceSchema }).strict(),
]);

/** A condition on a container a per-container step changes. */
export const containerConditionSchema = z.object({ imageStartsWith: z.string().min(1) }).strict();

/** One step: a change at the root (`on: object`), or at every container of the lists named that meets `when`. */
export const mutationStepSchema = z.discriminatedUnion("on", [
  z.object({ on: z.literal("object"), change: mutationOpSchema }).strict(),
  z
    .object({
      on: z.literal("containers"),
      lists: z.array(z.enum(CONTAINER_LISTS)).min(1),
      when: containerConditionSchema.optional(),
      change: mutationOpSchema,
    })
    .strict(),
]);

/** A mutation's instance: its name suffix (none for the only one) and its steps, parameters resolved. */
export const mutationInstanceSchema = z
  .object({ name: z.string().optional(), steps: z.array(mutationStepSchema).min(1), source: sourceSchema })
  .strict();

export const mutationSchema = z
  .object({
    kind: z.literal("mutation"),
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    /** As a policy's: `pod` mutates Pods and the pod templates of controllers. */
    subject: z.enum(["resource", "pod"]),
    match: matchSchema,
    instances: z.array(mutationInstanceSchema).min(1),
    targets: z.object({ kyverno: targetSetting, kubernetes: targetSetting, gatekeeper: targetSetting }).strict(),
    source: sourceSchema,
  })
  .strict();
