export { toGatekeeper, constraintKind } from "./constraint-template.js";
export { toGatekeeperReview, type ReviewCompanion } from "./review.js";
