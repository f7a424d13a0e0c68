/** The IR: one normalized, validated model of a policy, plain data; lowering passes over it. */
export * from "./types.js";
export * from "./issue.js";
export {
  policySchema,
  exceptionSchema,
  exprSchema,
  mutationSchema,
  CONTAINER_LISTS,
  TARGET_NAMES,
  ENFORCEMENTS,
  SEVERITIES,
  IMAGE_PARTS,
} from "./schema.js";
export { validatePolicy, validatePolicies, checkName } from "./validate.js";
export { instanceName, outputNames } from "./names.js";
export { paramValue } from "./params.js";
export { lowerPolicy, PASSES, type Pass } from "./lower.js";
export { witnessChain, messageWitness, messageVariables, type WitnessStep } from "./witness.js";
export { walkExpr, walkPolicy, mapExpr, operandsOf, assertNever } from "./walk.js";
export { renameElementVariables } from "./rename-elements.js";
export { fieldsIn, paramsIn, valueChildren, pathText, lastSegment, type ValueNode } from "./values.js";
export { checkRegex, regexFind, globToRegex, isQuantity } from "./regex.js";
export { printPolicy } from "./print.js";
export { parseQuantity, compareQuantities, type Rational } from "./quantity.js";
export { fieldsRead, isAdmissionOnly, readsOldSubject, readsNamespace } from "./reads.js";
export { REQUEST_FIELDS, requestField } from "./request.js";
export { exceptionIssues, exemptsSomeRules, expiryOf } from "./exceptions.js";
export { criteriaOf, requirementsOf, complementOf, soleNamespaceRequirement } from "./exception-placement.js";
export { MISSING_TEXT, placeholderOf, readsControllerIdentity, trimMessage } from "./message-text.js";
export { lookupsIn, readsCluster, admittedKinds, lookupMeetsSubject, lookedUpKinds, type LookupList } from "./lookups.js";
