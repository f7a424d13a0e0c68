/** What every engine answers (one Verdict shape, typed causes) and how it names document problems. */
export * from "./verdict.js";
export { parseFieldPath } from "./field-path.js";
