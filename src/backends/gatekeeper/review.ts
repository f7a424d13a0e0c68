import type { Policy } from "../../ir/index.js";
import { printReviewModule, reviewPackage } from "../../lower/rego/index.js";
import { constraintKind } from "./constraint-template.js";
import { syncedKinds } from "./sync-config.js";

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
  /**
   * The kinds Gatekeeper syncs into `data.inventory` for the policy (policyc's generated
   * `Config`, sync-config.ts): in a cluster, the inventory holds these and nothing else.
   */
  readonly synced: readonly { readonly group: string; readonly version: string; readonly kind: string }[];
}

export function toGatekeeperReview(p: Policy): ReviewCompanion {
  return {
    template: constraintKind(p).toLowerCase(),
    module: printReviewModule(p),
    entrypoint: `${reviewPackage(p).replaceAll(".", "/")}/review`,
    synced: syncedKinds(p).map(({ group, version, kind }) => ({ group, version, kind })),
  };
}
