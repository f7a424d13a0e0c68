/**
 * policyc: typed admission policies for Kubernetes. Policy files import from here.
 */
export * from "./sdk/index.js";
export { z } from "zod";
export type { Policy, Rule, Expr, Issue, SourceLocation } from "./ir/index.js";
