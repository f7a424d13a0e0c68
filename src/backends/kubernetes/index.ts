export { toValidatingAdmissionPolicies } from "./validating-admission-policy.js";
