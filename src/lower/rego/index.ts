export { printRegoModule, regoPackage } from "./print-module.js";
export { regoString, regoValue } from "./escape.js";
