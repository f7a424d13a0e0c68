// Workload policies from policyc's library. Registries have no safe default: these are the
// documented example values; set your own.
import {
  disallowDefaultNamespace,
  disallowLatestTag,
  disallowSecretsFromEnvVars,
  EXAMPLE_REGISTRIES,
  immutableLabels,
  requireDropAll,
  requireImageDigest,
  requireLabels,
  requirePodRequestsLimits,
  requireProbes,
  requireRoRootfs,
  restrictImageRegistries,
  restrictSaAutomountSaToken,
} from "policyc/library";

export default [
  disallowLatestTag(),
  restrictImageRegistries({ params: EXAMPLE_REGISTRIES }),
  requireImageDigest(),
  requirePodRequestsLimits(),
  requireProbes(),
  requireRoRootfs(),
  requireDropAll(),
  disallowDefaultNamespace(),
  requireLabels(),
  restrictSaAutomountSaToken(),
  disallowSecretsFromEnvVars(),
  immutableLabels(),
];
