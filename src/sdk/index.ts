export { definePolicy, isPolicyDefinition } from "./define-policy.js";
export type { PolicyDefinition, PolicySpec, RuleSpec, MatchSpec, InstanceSpec, CheckFn, SubjectOf } from "./define-policy.js";
export { Check, and, or, not, implies, exists, absent, isCheck } from "./check.js";
export type { Ref, ObjectRef, StringRef, NumberRef, BoolRef, ListRef, QuantityRef, CountRef } from "./refs.js";
export type { Params, ParamValue } from "./params.js";
export * from "./kinds.js";
export { testCaseSchema, type TestCase, type CaseObject } from "./test-case.js";
