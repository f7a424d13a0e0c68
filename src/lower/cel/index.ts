export {
  lowerToCel,
  celSpecFields,
  podSubjectExpression,
  POD_VARIABLE,
  type CelPolicy,
  type CelValidation,
  type CelVariable,
} from "./lower-policy.js";
export { printCel, celValueOf, celImageRewrite, type CelContext } from "./print-expr.js";
export { printCelMessage, staticMessage } from "./print-message.js";
export { celString, celValue } from "./escape.js";
export { toMatchConstraints, mutationMatchConstraints, toSelector, type ResourceRule } from "./match.js";
export { namespaceConditions } from "./namespace-conditions.js";
export { celTargetIssues, legacyKyvernoIssues } from "./target-issues.js";
export { exceptionCriteria, exceptionCondition, vapPlacement, type VapPlacement } from "./exceptions.js";
export { lowerMutationToCel, mutationEntry, type CelMutation } from "./mutation.js";
