/** IR → expression text: CEL and Rego, each with its one escaping function. */
export * as cel from "./cel/index.js";
export * as rego from "./rego/index.js";
