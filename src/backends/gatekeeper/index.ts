export { toGatekeeper, constraintKind, gatekeeperIssues, templateNameIssues } from "./constraint-template.js";
export { toGatekeeperReview, type ReviewCompanion } from "./review.js";
export { toGatekeeperSyncConfig } from "./sync-config.js";
export { toGatekeeperMutators, gatekeeperMutationIssues, MUTATION_ANNOTATION } from "./mutators.js";
