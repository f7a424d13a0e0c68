// Policies that read other objects of the cluster, from policyc's library, with their defaults.
// Kyverno and Gatekeeper only: a ValidatingAdmissionPolicy cannot read the cluster.
import { requireNetworkpolicy, requirePdb, restrictHpaReplicasConflict, uniqueIngressHost, uniqueServiceSelector } from "policyc/library";

export default [requireNetworkpolicy(), uniqueIngressHost(), uniqueServiceSelector(), requirePdb(), restrictHpaReplicasConflict()];
