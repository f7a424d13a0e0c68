// Network exposure policies from policyc's library, with their defaults.
import {
  disallowEmptyIngressHost,
  requireIngressTls,
  restrictLoadbalancer,
  restrictNetworkpolicyEmptyPeer,
  restrictNodePort,
  restrictServiceExternalIps,
} from "policyc/library";

export default [
  restrictNodePort(),
  restrictLoadbalancer(),
  restrictServiceExternalIps(),
  requireIngressTls(),
  disallowEmptyIngressHost(),
  restrictNetworkpolicyEmptyPeer(),
];
