export { toGatekeeper, constraintKind } from "./constraint-template.js";
