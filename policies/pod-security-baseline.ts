// Pod Security Standards, Baseline: every control, from policyc's library, with its defaults.
import {
  disallowCapabilities,
  disallowHostNamespaces,
  disallowHostPath,
  disallowHostPorts,
  disallowHostProbes,
  disallowHostProcess,
  disallowPrivilegedContainers,
  disallowProcMount,
  disallowSelinux,
  restrictApparmorProfiles,
  restrictSeccomp,
  restrictSysctls,
} from "policyc/library";

export default [
  disallowHostProcess(),
  disallowHostNamespaces(),
  disallowPrivilegedContainers(),
  disallowCapabilities(),
  disallowHostPath(),
  disallowHostPorts(),
  restrictApparmorProfiles(),
  disallowSelinux(),
  disallowProcMount(),
  restrictSeccomp(),
  restrictSysctls(),
  disallowHostProbes(),
];
