/**
 * `policyc/library`: ready-made policies. Each is a function returning a policy that a policy
 * file exports, tuned by options (a new name, parameters, instances, enforcement, excluded
 * namespaces): `export default restrictImageRegistries({ params: { registries: ["registry.example.com"] } })`.
 * docs/library.md lists them all.
 */
export * from "./pss-baseline.js";
export * from "./pss-restricted.js";
export * from "./workloads.js";
export * from "./network.js";
export * from "./rbac.js";
export * from "./cluster.js";
export type { LibraryOptions, RequiredParams } from "./define.js";
export { renderCatalogue, functionName, CATEGORIES } from "./catalogue.js";
export {
  addDefaultSecuritycontext,
  setImagePullPolicy,
  addNamespaceLabelsToPods,
  addDefaultResources,
  rewriteImageRegistry,
  type MutationOptions,
} from "./mutations.js";
