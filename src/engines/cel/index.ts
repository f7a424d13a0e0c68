export * from "./runtime.js";
export * from "./admission.js";
