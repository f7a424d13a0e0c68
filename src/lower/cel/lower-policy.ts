import type { Instance, Policy } from "../../ir/index.js";
import { POD_CONTROLLERS } from "../../kube/index.js";
import { celOptionalSelect } from "./escape.js";
import { printCelMessage, staticMessage } from "./print-message.js";
import { printCel, type CelContext } from "./print-expr.js";

export interface CelVariable {
  readonly name: string;
  readonly expression: string;
}

export interface CelValidation {
  readonly rule: string;
  readonly expression: string;
  readonly message: string;
  readonly messageExpression?: string;
}

/** A policy instance in CEL: what ValidatingPolicy, VAP and legacy ClusterPolicy all carry. */
export interface CelPolicy {
  readonly variables: readonly CelVariable[];
  readonly matchConditions: readonly CelVariable[];
  readonly validations: readonly CelValidation[];
}

/**
 * The admitted object: `object`, or `oldObject` for DELETE, where `object` is null
 * (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#validation-expression).
 */
function admittedObject(p: Policy): string {
  return p.match.operations.includes("DELETE") ? `(request.operation == "DELETE" ? oldObject : object)` : "object";
}

/**
 * The pod a pod policy reads: the Pod itself, or the pod template of a controller (the same
 * places Kyverno's autogen rewrites). Written as an expression rather than relying on Kyverno's
 * autogen, because the API server has no autogen and both CEL targets share one lowering.
 */
export function podSubjectExpression(p: Policy): string {
  const obj = admittedObject(p);
  const template = (path: readonly string[]) => `${obj}${path.map(celOptionalSelect).join("")}.orValue({})`;
  const cronJob = POD_CONTROLLERS.find((c) => c.kind.kind === "CronJob")!;
  const others = POD_CONTROLLERS.find((c) => c.kind.kind === "Deployment")!;
  return `${obj}.kind == "Pod" ? ${obj} : (${obj}.kind == "CronJob" ? ${template(cronJob.template)} : ${template(others.template)})`;
}

export const POD_VARIABLE = "pod";

/** Lowers one instance of a policy to CEL. */
export function lowerToCel(p: Policy, instance: Instance): CelPolicy {
  const variables: CelVariable[] = [];
  let subject = admittedObject(p);
  let inlineSubject = subject;
  if (p.subject === "pod") {
    variables.push({ name: POD_VARIABLE, expression: podSubjectExpression(p) });
    subject = `variables.${POD_VARIABLE}`;
    inlineSubject = `(${podSubjectExpression(p)})`;
  }
  const ctx: CelContext = { subject, params: instance.values };
  // matchConditions cannot read variables, so they get the subject expression inline.
  const matchConditions = p.when ? [{ name: "when", expression: printCel(p.when, { ...ctx, subject: inlineSubject }) }] : [];
  const validations = p.rules.map((r): CelValidation => {
    const assert = printCel(r.assert, ctx);
    const expression = r.when ? `!(${printCel(r.when, ctx)}) || ${assert}` : assert;
    const messageExpression = printCelMessage(r, ctx);
    return {
      rule: r.name,
      expression,
      message: staticMessage(r.message, instance.values),
      ...(messageExpression ? { messageExpression } : {}),
    };
  });
  return { variables, matchConditions, validations };
}

/**
 * The spec fields ValidatingAdmissionPolicy and Kyverno ValidatingPolicy share:
 * `matchConditions`, `variables` and `validations`.
 */
export function celSpecFields(cel: CelPolicy): Record<string, unknown> {
  return {
    ...(cel.matchConditions.length ? { matchConditions: cel.matchConditions } : {}),
    ...(cel.variables.length ? { variables: cel.variables } : {}),
    validations: cel.validations.map((v) => ({
      expression: v.expression,
      message: v.message,
      ...(v.messageExpression ? { messageExpression: v.messageExpression } : {}),
    })),
  };
}
