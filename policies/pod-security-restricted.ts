// Pod Security Standards, Restricted: the controls Restricted adds to Baseline, from policyc's library.
import {
  disallowCapabilitiesStrict,
  disallowPrivilegeEscalation,
  disallowProcMountStrict,
  requireRunAsNonroot,
  requireRunAsNonRootUser,
  restrictSeccompStrict,
  restrictVolumeTypes,
} from "policyc/library";

export default [
  restrictVolumeTypes(),
  disallowPrivilegeEscalation(),
  requireRunAsNonroot(),
  requireRunAsNonRootUser(),
  restrictSeccompStrict(),
  disallowCapabilitiesStrict(),
  disallowProcMountStrict(),
];
