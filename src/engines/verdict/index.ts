/** The one engine contract (engine.ts), what every engine answers (one Verdict shape, typed causes) and how it names document problems. */
export * from "./verdict.js";
export * from "./engine.js";
export { parseFieldPath } from "./field-path.js";
