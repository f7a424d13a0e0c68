import { instanceName, isAdmissionOnly, type Exception, type KindRef, type Policy } from "../../ir/index.js";
import { lowerToCel, namespaceConditions, toSelector } from "../../lower/cel/index.js";
import { MANAGED_BY, type Document } from "../document/index.js";
import { exceptionMetadata, kyvernoAnnotations, type KyvernoOptions } from "./annotations.js";

const kindName = (k: KindRef) => (k.group === "" ? `${k.version}/${k.kind}` : `${k.group}/${k.version}/${k.kind}`);

/**
 * Legacy Kyverno `ClusterPolicy` (kyverno.io/v1) with `validate.cel` rules, for clusters on
 * Kyverno 1.11–1.16 or not yet migrated. Deprecated upstream; emitted only when asked for.
 * Kyverno has no warn action for these rules, so `warn` becomes Audit. Autogen is disabled
 * (the CEL already reads controllers' pod templates).
 */
export function toClusterPolicies(p: Policy, options: KyvernoOptions = {}): Document[] {
  return [...clusterPolicies(p), ...(p.exceptions ?? []).map((ex) => legacyException(p, ex, options))];
}

/**
 * A `PolicyException` (kyverno.io/v2) for the legacy ClusterPolicies: every rule of every
 * instance, where one match filter holds — the exception's kinds (else the policy's), namespaces,
 * names (Kyverno's wildcards are policyc's globs), object and namespace label selectors, and its
 * users and groups as `subjects`. An exception by user has `background: false`, as Kyverno asks
 * of what only admission requests carry.
 */
function legacyException(p: Policy, ex: Exception, options: KyvernoOptions): Document {
  const m = ex.match;
  const kinds = m.kinds ? p.match.kinds.filter((k) => m.kinds!.some((e) => e.group === k.group && e.kind === k.kind)) : p.match.kinds;
  const subjects = [
    ...(m.users ?? []).map((name) => ({ kind: "User", name })),
    ...(m.groups ?? []).map((name) => ({ kind: "Group", name })),
  ];
  return {
    apiVersion: "kyverno.io/v2",
    kind: "PolicyException",
    metadata: exceptionMetadata(p, ex, options),
    spec: {
      ...(subjects.length ? { background: false } : {}),
      exceptions: p.instances.map((inst) => ({ policyName: instanceName(p.name, inst), ruleNames: p.rules.map((r) => r.name) })),
      match: {
        any: [
          {
            resources: {
              kinds: kinds.map(kindName),
              ...(m.namespaces ? { namespaces: [...m.namespaces] } : {}),
              ...(m.names ? { names: [...m.names] } : {}),
              ...(m.labelSelector ? { selector: toSelector(m.labelSelector) } : {}),
              ...(m.namespaceSelector ? { namespaceSelector: toSelector(m.namespaceSelector) } : {}),
            },
            ...(subjects.length ? { subjects } : {}),
          },
        ],
      },
    },
  };
}

function clusterPolicies(p: Policy): Document[] {
  return p.instances.map((inst) => {
    const cel = lowerToCel(p, inst);
    // Namespace label tests of the precondition select namespaces here too, as they do for the other CEL targets.
    const fromPrecondition = namespaceConditions(p, inst.values).selector;
    const nsSelector =
      p.match.namespaceSelector || fromPrecondition.length
        ? toSelector({
            ...(p.match.namespaceSelector?.matchLabels ? { matchLabels: p.match.namespaceSelector.matchLabels } : {}),
            matchExpressions: [...(p.match.namespaceSelector?.matchExpressions ?? []), ...fromPrecondition],
          })
        : undefined;
    const resources: Record<string, unknown> = {
      kinds: p.match.kinds.map(kindName),
      operations: [...p.match.operations],
      ...(p.match.namespaces?.include ? { namespaces: [...p.match.namespaces.include] } : {}),
      ...(p.match.labelSelector ? { selector: toSelector(p.match.labelSelector) } : {}),
      ...(nsSelector ? { namespaceSelector: nsSelector } : {}),
    };
    const exclude = p.match.namespaces?.exclude
      ? { exclude: { any: [{ resources: { namespaces: [...p.match.namespaces.exclude] } }] } }
      : {};
    return {
      apiVersion: "kyverno.io/v1",
      kind: "ClusterPolicy",
      metadata: {
        name: instanceName(p.name, inst),
        labels: { ...MANAGED_BY },
        annotations: { ...kyvernoAnnotations(p), "pod-policies.kyverno.io/autogen-controllers": "none" },
      },
      spec: {
        // Admission-only policies (old object, operation, user) cannot run in background scans.
        background: !isAdmissionOnly(p),
        rules: cel.validations.map((v) => ({
          name: v.rule,
          match: { any: [{ resources }] },
          ...exclude,
          validate: {
            failureAction: p.enforcement === "enforce" ? "Enforce" : "Audit",
            cel: {
              ...(cel.variables.length ? { variables: cel.variables } : {}),
              expressions: [
                {
                  expression: cel.preconditionNegated ? `${cel.preconditionNegated} || (${v.expression})` : v.expression,
                  message: v.message,
                  ...(v.messageExpression ? { messageExpression: v.messageExpression } : {}),
                },
              ],
            },
          },
        })),
      },
    };
  });
}
