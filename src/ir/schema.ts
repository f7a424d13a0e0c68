import { z } from "zod";
import type { Expr, Policy } from "./types.js";

/**
 * zod schema of the IR: checks the shape of a policy built by the SDK (or read back from JSON)
 * before any semantic check or backend sees it.
 */
const source = z.object({ file: z.string(), line: z.number().int(), column: z.number().int() }).strict();
const path = z.array(z.string());
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const scope = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("subject") }).strict(),
  z.object({ kind: z.literal("element"), variable: z.string().min(1) }).strict(),
]);
const fieldRef = z.object({ kind: z.literal("field"), scope, path, source }).strict();
const literal = z.object({ kind: z.literal("literal"), value: z.union([scalar, z.array(scalar)]), source }).strict();
const paramRef = z.object({ kind: z.literal("param"), path: path.min(1), source }).strict();
const operand = z.discriminatedUnion("kind", [fieldRef, literal, paramRef]);
const listArg = z.discriminatedUnion("kind", [literal, paramRef]);
const compareOp = z.enum(["eq", "lt", "le", "gt", "ge"]);

export const exprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("const"), value: z.boolean(), source }).strict(),
    z.object({ kind: z.literal("exists"), field: fieldRef, source }).strict(),
    z.object({ kind: z.literal("compare"), op: compareOp, left: fieldRef, right: operand, source }).strict(),
    z.object({ kind: z.literal("in"), value: fieldRef, list: listArg, source }).strict(),
    z
      .object({
        kind: z.literal("string"),
        op: z.enum(["startsWith", "endsWith", "contains", "matches", "glob"]),
        value: fieldRef,
        arg: listArg,
        source,
      })
      .strict(),
    z.object({ kind: z.literal("quantity"), op: compareOp, left: fieldRef, right: listArg, source }).strict(),
    z
      .object({ kind: z.literal("count"), op: compareOp, lists: z.array(fieldRef).min(1), value: z.number().int().nonnegative(), source })
      .strict(),
    z
      .object({
        kind: z.literal("quantifier"),
        quantifier: z.enum(["all", "any"]),
        lists: z.array(fieldRef).min(1),
        variable: z.string().regex(/^[a-z][a-z0-9_]*$/),
        body: exprSchema,
        source,
      })
      .strict(),
    z.object({ kind: z.literal("and"), items: z.array(exprSchema).min(1), source }).strict(),
    z.object({ kind: z.literal("or"), items: z.array(exprSchema).min(1), source }).strict(),
    z.object({ kind: z.literal("not"), item: exprSchema, source }).strict(),
  ]),
);

const message = z
  .object({
    parts: z.array(
      z.discriminatedUnion("kind", [
        z.object({ kind: z.literal("text"), text: z.string() }).strict(),
        z.object({ kind: z.literal("value"), value: z.discriminatedUnion("kind", [fieldRef, paramRef]) }).strict(),
      ]),
    ),
    source,
  })
  .strict();

const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string(),
            operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
            values: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

const target = z.discriminatedUnion("enabled", [
  z.object({ enabled: z.literal(true) }).strict(),
  z.object({ enabled: z.literal(false), reason: z.string().min(1), source }).strict(),
]);

export const policySchema = z
  .object({
    kind: z.literal("policy"),
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    category: z.string().optional(),
    severity: z.enum(["low", "medium", "high", "critical"]).optional(),
    subject: z.enum(["resource", "pod"]),
    match: z
      .object({
        kinds: z.array(
          z.object({ group: z.string(), version: z.string(), kind: z.string(), resource: z.string(), namespaced: z.boolean() }).strict(),
        ),
        operations: z.array(z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"])).min(1),
        namespaces: z
          .object({ include: z.array(z.string()).optional(), exclude: z.array(z.string()).optional() })
          .strict()
          .optional(),
        labelSelector: labelSelector.optional(),
        namespaceSelector: labelSelector.optional(),
      })
      .strict(),
    when: exprSchema.optional(),
    rules: z.array(z.object({ name: z.string(), when: exprSchema.optional(), assert: exprSchema, message, source }).strict()),
    enforcement: z.enum(["enforce", "audit", "warn"]),
    params: z.record(z.string(), z.unknown()).optional(),
    instances: z.array(z.object({ name: z.string().optional(), values: z.record(z.string(), z.unknown()), source }).strict()),
    targets: z.object({ kyverno: target, kubernetes: target, gatekeeper: target }).strict(),
    source,
  })
  .strict() satisfies z.ZodType<Policy>;
