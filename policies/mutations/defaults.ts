// Mutations from policyc's library: defaults applied before the validating policies run, so a
// workload that says nothing about its security context is admitted with the Restricted defaults.
import {
  addDefaultResources,
  addDefaultSecuritycontext,
  addNamespaceLabelsToPods,
  rewriteImageRegistry,
  setImagePullPolicy,
} from "policyc/library";

export default [
  addDefaultSecuritycontext(),
  setImagePullPolicy(),
  addNamespaceLabelsToPods(),
  addDefaultResources(),
  rewriteImageRegistry(),
];
