/**
 * The policyc intermediate representation, written once as zod schemas: `ir/types.ts` infers the
 * TypeScript types from them, and `validate` parses with them. Plain, JSON-serialisable data only
 * (no classes, closures or Maps), so a JSON round trip of a policy deep-equals the policy.
 */
import { z } from "zod";
import { kindRefSchema, labelSelectorSchema, operationSchema } from "../kube/index.js";

/** Where a node was written, in the user's policy file (1-based line and column). */
export const sourceSchema = z.object({ file: z.string(), line: z.number().int(), column: z.number().int() }).strict();

/** Path segments from a scope to a value, e.g. `["spec", "securityContext", "privileged"]`. */
const fieldPath = z.array(z.string());

export const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/**
 * What a field path starts from: the policy's subject (the resource, or for pod policies the pod
 * or the pod template of a controller), or an element bound by an enclosing quantifier.
 */
const scope = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("subject") }).strict(),
  z.object({ kind: z.literal("element"), variable: z.string().min(1) }).strict(),
]);

/** A value read from the admitted resource (or from a quantifier's element). */
export const fieldRefSchema = z.object({ kind: z.literal("field"), scope, path: fieldPath, source: sourceSchema }).strict();

/** A constant written in the policy. */
export const literalSchema = z
  .object({ kind: z.literal("literal"), value: z.union([scalarSchema, z.array(scalarSchema)]), source: sourceSchema })
  .strict();

/**
 * A policy parameter. Gatekeeper reads it from the Constraint's `parameters`; the CEL targets
 * inline the instance's value (see `backends/kyverno` and `backends/kubernetes`).
 */
export const paramRefSchema = z.object({ kind: z.literal("param"), path: fieldPath.min(1), source: sourceSchema }).strict();

const operand = z.discriminatedUnion("kind", [fieldRefSchema, literalSchema, paramRefSchema]);
const listArg = z.discriminatedUnion("kind", [literalSchema, paramRefSchema]);
export const compareOpSchema = z.enum(["eq", "lt", "le", "gt", "ge"]);
export const stringOpSchema = z.enum(["startsWith", "endsWith", "contains", "matches", "glob"]);

/*
 * Boolean conditions. Leaf predicates are false when the field they read is missing or of the
 * wrong type; negations (`not equals`, `absent`, `not in`) are written as `not` of a leaf, so a
 * missing field satisfies them. Recursive members use getters, so zod infers the recursive type.
 */
export const constExpr = z.object({ kind: z.literal("const"), value: z.boolean(), source: sourceSchema }).strict();
export const existsExpr = z.object({ kind: z.literal("exists"), field: fieldRefSchema, source: sourceSchema }).strict();
export const compareExpr = z
  .object({ kind: z.literal("compare"), op: compareOpSchema, left: fieldRefSchema, right: operand, source: sourceSchema })
  .strict();
/** True when the field equals one of the list's values. */
export const inExpr = z.object({ kind: z.literal("in"), value: fieldRefSchema, list: listArg, source: sourceSchema }).strict();
/** With a list argument, true when the predicate holds for any of its values. */
export const stringExpr = z
  .object({ kind: z.literal("string"), op: stringOpSchema, value: fieldRefSchema, arg: listArg, source: sourceSchema })
  .strict();
/** Kubernetes resource quantities (`500m`, `1Gi`) compared by value. */
export const quantityExpr = z
  .object({ kind: z.literal("quantity"), op: compareOpSchema, left: fieldRefSchema, right: listArg, source: sourceSchema })
  .strict();
/** Number of elements of the concatenated lists (missing lists count as empty). */
export const countExpr = z
  .object({
    kind: z.literal("count"),
    op: compareOpSchema,
    lists: z.array(fieldRefSchema).min(1),
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
    lists: z.array(fieldRefSchema).min(1),
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
  quantifierExpr,
  andExpr,
  orExpr,
  notExpr,
]);

/** A message shown when a rule is violated: text with interpolated values. */
export const messagePartSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("text"), text: z.string() }).strict(),
  z.object({ kind: z.literal("value"), value: z.discriminatedUnion("kind", [fieldRefSchema, paramRefSchema]) }).strict(),
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
    source: sourceSchema,
  })
  .strict();
