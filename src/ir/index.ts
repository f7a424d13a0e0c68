export * from "./types.js";
export * from "./issue.js";
export * from "./kinds.js";
export { validatePolicy, validatePolicies, checkName, outputNames } from "./validate.js";
export { lowerPolicy, PASSES, type Pass } from "./lower.js";
export { witnessChain, messageWitness, messageVariables, type WitnessStep } from "./witness.js";
export { walkExpr, walkPolicy, mapExpr, childrenOf, operandsOf, assertNever } from "./walk.js";
export { checkRegex, regexFind, globToRegex, isQuantity } from "./regex.js";
export { printPolicy } from "./print.js";
