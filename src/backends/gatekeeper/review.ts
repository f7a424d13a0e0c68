import type { Policy } from "../../ir/index.js";
import { printReviewModule, reviewPackage } from "../../lower/rego/index.js";
import { constraintKind } from "./constraint-template.js";

/**
 * What `policyc test` compiles next to a generated ConstraintTemplate and never ships: a Rego
 * module whose entrypoint is undefined when the policy does not apply to the review (operation
 * or precondition) and `{"violations": …}` when it does.
 */
export interface ReviewCompanion {
  /** The ConstraintTemplate's metadata.name. */
  readonly template: string;
  readonly module: string;
  /** `path/to/rule`, as `opa build -e` takes it. */
  readonly entrypoint: string;
}

export function toGatekeeperReview(p: Policy): ReviewCompanion {
  return {
    template: constraintKind(p).toLowerCase(),
    module: printReviewModule(p),
    entrypoint: `${reviewPackage(p).replaceAll(".", "/")}/review`,
  };
}
