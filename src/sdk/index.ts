export { definePolicy, isPolicyDefinition, revivePolicyDefinition, transferPolicyDefinition } from "./define-policy.js";
export type {
  PolicyDefinition,
  TransferredPolicy,
  PolicySpec,
  RuleSpec,
  RulesFn,
  MatchSpec,
  InstanceSpec,
  CheckFn,
  SubjectOf,
} from "./define-policy.js";
export {
  defineException,
  isExceptionDefinition,
  reviveExceptionDefinition,
  transferExceptionDefinition,
  exceptionTestCaseSchema,
} from "./define-exception.js";
export type {
  ExceptionDefinition,
  TransferredException,
  ExceptionSpec,
  ExceptionMatchSpec,
  ExceptionTestCase,
} from "./define-exception.js";
export { Check, and, or, not, implies, exists, absent, deny, isCheck } from "./check.js";
export { image, concat, format, OPERATORS } from "./refs.js";
export type { Ref, ObjectRef, StringRef, StringOps, NumberRef, BoolRef, ListRef, QuantityRef, CountRef, ImageRef, MapRef } from "./refs.js";
export type { AdmissionContext, UserInfoRefs } from "./context.js";
export type { Params, ParamValue } from "./params.js";
export { SdkError, isSdkError } from "./errors.js";
export * from "./kinds.js";
export { testCaseSchema, type TestCase, type CaseObject } from "./test-case.js";
export { defineConfig, configSchema, isDefinedConfig, type PolicycConfig } from "./config.js";
export {
  defineMutation,
  setDefault,
  set,
  addToSet,
  removeFromSet,
  defaultLabel,
  defaultAnnotation,
  defaultLabelFromNamespace,
  rewriteRegistry,
  forEachContainer,
  isMutationDefinition,
  transferMutationDefinition,
  reviveMutationDefinition,
  mutationTestCaseSchema,
} from "./define-mutation.js";
export type {
  MutationDefinition,
  TransferredMutation,
  MutationSpec,
  MutationTestCase,
  Change,
  ContainerSelection,
} from "./define-mutation.js";
