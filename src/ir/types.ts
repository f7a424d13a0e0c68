/**
 * The IR's TypeScript types, inferred from the zod schemas in `ir/schema.ts` (the one place the
 * model is written) and made deeply readonly: passes build new nodes, they never mutate.
 */
import type { z } from "zod";
import type {
  caseValueSchema,
  compareOpSchema,
  concatValueSchema,
  imageValueSchema,
  joinValueSchema,
  keySegmentSchema,
  listSchema,
  splitListSchema,
  keysListSchema,
  valueSchema,
  exprSchema,
  fieldRefSchema,
  instanceSchema,
  literalSchema,
  matchSchema,
  messagePartSchema,
  messageSchema,
  paramRefSchema,
  policySchema,
  exceptionSchema,
  exceptionMatchSchema,
  ruleSchema,
  scalarSchema,
  sourceSchema,
  stringOpSchema,
  ENFORCEMENTS,
  SEVERITIES,
  TARGET_NAMES,
  mutationOpSchema,
  mutationStepSchema,
  mutationInstanceSchema,
  mutationSchema,
  CONTAINER_LISTS,
} from "./schema.js";

import type { DeepReadonly } from "../kube/index.js";

export type { KindRef, LabelSelector, LabelSelectorRequirement, Operation } from "../kube/index.js";

type Infer<S extends z.ZodType> = DeepReadonly<z.infer<S>>;

export type SourceLocation = Infer<typeof sourceSchema>;
export type KeySegment = Infer<typeof keySegmentSchema>;
/** Path segments from a scope: field names, or keys computed from values. */
export type FieldPath = readonly (string | KeySegment)[];
export type Scalar = z.infer<typeof scalarSchema>;
export type FieldRef = Infer<typeof fieldRefSchema>;
export type Scope = FieldRef["scope"];
export type Literal = Infer<typeof literalSchema>;
export type ParamRef = Infer<typeof paramRefSchema>;
export type ImageValue = Infer<typeof imageValueSchema>;
export type ConcatValue = Infer<typeof concatValueSchema>;
export type CaseValue = Infer<typeof caseValueSchema>;
export type JoinValue = Infer<typeof joinValueSchema>;
/** A value a condition compares: read, written, a parameter, or computed. */
export type Value = Infer<typeof valueSchema>;
export type SplitList = Infer<typeof splitListSchema>;
export type KeysList = Infer<typeof keysListSchema>;
/** A list to iterate or count. */
export type ListSource = Infer<typeof listSchema>;
export type ImagePart = ImageValue["part"];
export type CompareOp = z.infer<typeof compareOpSchema>;
export type StringOp = z.infer<typeof stringOpSchema>;
export type Expr = Infer<typeof exprSchema>;
export type ExprKind = Expr["kind"];
export type MessagePart = Infer<typeof messagePartSchema>;
export type Message = Infer<typeof messageSchema>;
export type Rule = Infer<typeof ruleSchema>;
export type Match = Infer<typeof matchSchema>;
export type Enforcement = (typeof ENFORCEMENTS)[number];
export type Severity = (typeof SEVERITIES)[number];
export type TargetName = (typeof TARGET_NAMES)[number];
export type Instance = Infer<typeof instanceSchema>;
export type TargetSetting = Policy["targets"][TargetName];
/** A JSON Schema (OpenAPI v3 structural subset) for the parameters. */
export type JsonSchema = { readonly [key: string]: unknown };
export type Policy = Infer<typeof policySchema>;
/** An exception, as attached to each policy it names. */
export type Exception = Infer<typeof exceptionSchema>;
export type ExceptionMatch = Infer<typeof exceptionMatchSchema>;

export type MutationOp = Infer<typeof mutationOpSchema>;
export type MutationStep = Infer<typeof mutationStepSchema>;
export type MutationInstance = Infer<typeof mutationInstanceSchema>;
/** A mutation: steps applied in order to the admitted object (the pod, or a controller's pod template). */
export type Mutation = Infer<typeof mutationSchema>;
export type ContainerList = (typeof CONTAINER_LISTS)[number];
