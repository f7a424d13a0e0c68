/** IR → Rego: the module AST a policy lowers to, its printer, and the one escaping function. */
import type { Policy } from "../../ir/index.js";
import { lowerRegoModule } from "./lower-module.js";
import { printRego } from "./print-rego.js";

export type { Module, Rule, Statement, Term } from "./ast.js";
export { lowerRegoModule, regoPackage } from "./lower-module.js";
export { printRego } from "./print-rego.js";
export { printReviewModule, reviewPackage } from "./review.js";
export { regoString, regoValue } from "./escape.js";
export { gatekeeperPlacement, type GatekeeperPlacement } from "./exceptions.js";

/** A policy's Gatekeeper Rego module, as text. */
export function printRegoModule(p: Policy): string {
  return printRego(lowerRegoModule(p));
}
