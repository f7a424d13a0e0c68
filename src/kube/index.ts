/**
 * Kubernetes facts policyc relies on everywhere: kinds, pod controllers, operations, label
 * selectors and admission requests. Imports nothing of policyc's; every layer may import it.
 */
export * from "./operations.js";
export * from "./kinds.js";
export * from "./pod-controllers.js";
export * from "./labels.js";
export * from "./admission.js";
export * from "./cluster.js";
export type { DeepReadonly } from "./readonly.js";
export * from "./image.js";
export * from "./go-yaml.js";
