import {
  admittedKinds,
  lastSegment,
  readsCluster,
  renameElementVariables,
  messageWitness,
  readsOldSubject,
  walkPolicy,
  type Expr,
  type FieldRef,
  type Instance,
  type ListSource,
  type LookupList,
  type Policy,
} from "../../ir/index.js";
import { POD_CONTROLLERS } from "../../kube/index.js";
import { CEL_RESERVED_WORDS, celOptionalSelect } from "./escape.js";
import { formatCel } from "./format.js";
import { printCelMessage, staticMessage } from "./print-message.js";
import { namespaceConditions } from "./namespace-conditions.js";
import { celList, celLists, listKey, printCel, printNegated, type CelContext } from "./print-expr.js";

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
  /** The policy-wide precondition negated, for targets without match conditions (legacy ClusterPolicy). */
  readonly preconditionNegated?: string;
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
 * The pod a pod policy reads from `obj`: the Pod itself, or the pod template of a controller (the
 * same places Kyverno's autogen rewrites). Written as an expression rather than relying on
 * Kyverno's autogen, because the API server has no autogen and both CEL targets share one lowering.
 */
export function podSubjectExpression(p: Policy, obj = admittedObject(p)): string {
  const template = (path: readonly string[]) => `${obj}${path.map(celOptionalSelect).join("")}.orValue({})`;
  const cronJob = POD_CONTROLLERS.find((c) => c.kind.kind === "CronJob")!;
  const others = POD_CONTROLLERS.find((c) => c.kind.kind === "Deployment")!;
  return `${obj}.kind == "Pod" ? ${obj} : (${obj}.kind == "CronJob" ? ${template(cronJob.template)} : ${template(others.template)})`;
}

export const POD_VARIABLE = "pod";
export const OLD_POD_VARIABLE = "oldPod";

/** Names a variable may not take: CEL's reserved words, the admission variables, and the variables policyc defines itself. */
const TAKEN: ReadonlySet<string> = new Set([
  ...CEL_RESERVED_WORDS,
  "pod",
  "oldPod",
  "object",
  "oldObject",
  "request",
  "params",
  "namespaceObject",
  "authorizer",
  "variables",
]);

/** Names an element (a comprehension variable) may not take besides: CEL's type identifiers, which it would shadow. */
const ELEMENT_TAKEN: ReadonlySet<string> = new Set([
  ...TAKEN,
  ...["optional", "dyn", "type", "int", "uint", "double", "string", "list", "map", "bool", "bytes", "timestamp", "duration"],
]);

/**
 * The lists the rules read from the subject, each bound once as a variable: one per list field
 * (`containers`), one per concatenation (`allContainers` = containers + initContainers +
 * ephemeralContainers). Rules and messages then read `variables.<name>` instead of repeating the
 * expression. Element-rooted lists stay inline: a variable cannot see a loop's element.
 */
function listVariables(p: Policy, ctx: CelContext): { variables: CelVariable[]; lists: Map<string, string> } {
  const groups: FieldRef[][] = [];
  const lookups: LookupList[] = [];
  const add = (lists: readonly ListSource[]) => {
    // A lookup that reads no element is bound once, alone: the rules then ask the cluster once.
    for (const l of lists) if (l.kind === "lookup" && listKey([l]) && !lookups.some((x) => listKey([x]) === listKey([l]))) lookups.push(l);
    const key = listKey(lists);
    if (key && !key.startsWith("lookup:") && !groups.some((g) => listKey(g) === key)) groups.push([...(lists as readonly FieldRef[])]);
  };
  const visit = (e: Expr) => {
    if (e.kind === "quantifier" || e.kind === "count") add(e.lists);
  };
  walkPolicy({ ...p, when: undefined } as Policy, visit);
  for (const r of p.rules) for (const s of messageWitness(r.assert, r.message).steps) add(s.lists);
  const variables: CelVariable[] = [];
  const lists = new Map<string, string>();
  const used = new Set<string>();
  const fresh = (wanted: string) => {
    const base = wanted.replace(/[^A-Za-z0-9_]/g, "_").replace(/^[^A-Za-z_]/, "_$&");
    let name = base;
    for (let i = 2; TAKEN.has(name) || used.has(name); i++) name = `${base}${i}`;
    used.add(name);
    return name;
  };
  const bind = (lists_: readonly ListSource[], name: string, expression: string) => {
    variables.push({ name, expression });
    lists.set(listKey(lists_)!, `variables.${name}`);
  };
  for (const l of lookups) bind([l], fresh(l.target.resource), celList(l, ctx));
  for (const group of groups) {
    for (const l of group) if (!lists.has(listKey([l])!)) bind([l], fresh(lastSegment(l.path) ?? "items"), celList(l, ctx));
    if (group.length === 1) continue;
    const names = group.map((l) => lastSegment(l.path) ?? "items");
    const all = names.length === 3 && names[0] === "containers" && names[1] === "initContainers" && names[2] === "ephemeralContainers";
    const name = fresh(all ? "allContainers" : names.map((n, i) => (i === 0 ? n : n.charAt(0).toUpperCase() + n.slice(1))).join("And"));
    bind(group, name, group.map((l) => lists.get(listKey([l])!)!).join(" + "));
  }
  return { variables, lists };
}

/** Lowerings already made: the build checks a policy's CEL (sizes) and then three backends write it. */
const lowered = new WeakMap<Policy, WeakMap<Instance, CelPolicy>>();

/** Lowers one instance of a policy to CEL (once per policy and instance object: the IR is immutable data). */
export function lowerToCel(p: Policy, instance: Instance): CelPolicy {
  let byInstance = lowered.get(p);
  if (!byInstance) lowered.set(p, (byInstance = new WeakMap()));
  let cel = byInstance.get(instance);
  if (!cel) byInstance.set(instance, (cel = lowerInstance(p, instance)));
  return cel;
}

/** Kyverno's resource library is the variable `resource`: a policy that reads the cluster keeps the name free. */
const LOOKUP_ELEMENT_TAKEN: ReadonlySet<string> = new Set([...ELEMENT_TAKEN, "resource"]);

function lowerInstance(policy: Policy, instance: Instance): CelPolicy {
  const p = renameElementVariables(policy, readsCluster(policy) ? LOOKUP_ELEMENT_TAKEN : ELEMENT_TAKEN);
  const variables: CelVariable[] = [];
  let subject = admittedObject(p);
  let inlineSubject = subject;
  let oldSubject = "oldObject";
  let inlineOldSubject = oldSubject;
  if (p.subject === "pod") {
    variables.push({ name: POD_VARIABLE, expression: podSubjectExpression(p) });
    subject = `variables.${POD_VARIABLE}`;
    inlineSubject = `(${podSubjectExpression(p)})`;
    if (readsOldSubject(p)) {
      const oldPod = `oldObject == null ? null : (${podSubjectExpression(p, "oldObject")})`;
      variables.push({ name: OLD_POD_VARIABLE, expression: oldPod });
      oldSubject = `variables.${OLD_POD_VARIABLE}`;
      inlineOldSubject = `(${oldPod})`;
    }
  }
  const admitted = p.subject === "pod" ? { admitted: { object: admittedObject(p), oldObject: "oldObject" } } : {};
  const bare: CelContext = { subject, oldSubject, params: instance.values, admittedKinds: admittedKinds(p), ...admitted };
  const { variables: listVars, lists } = listVariables(p, bare);
  variables.push(...listVars);
  const ctx: CelContext = { ...bare, lists };
  // matchConditions cannot read variables, so they get the subject expression inline.
  // A lookup in the precondition leaves out the object under review too (ir/lookups.ts), as in the rules.
  const whenCtx: CelContext = {
    subject: inlineSubject,
    oldSubject: inlineOldSubject,
    params: instance.values,
    admittedKinds: admittedKinds(p),
    ...admitted,
  };
  // Namespace label tests become the namespace selector (see namespace-conditions.ts); the rest are match conditions.
  const { rest: when } = namespaceConditions(p, instance.values);
  const matchConditions = when ? [{ name: "when", expression: printCel(when, whenCtx) }] : [];
  // One line: the API server refuses a message with a line break.
  const fallback = p.title ? `${p.title.replace(/\s*[\r\n\u0085\u2028\u2029]+\s*/g, " ")}: violated` : `Policy ${p.name} is violated`;
  const taken = new Set([...TAKEN, ...variables.map((v) => v.name)]);
  const validations = p.rules.map((r): CelValidation => {
    const violations = violationsVariable(r, ctx, taken);
    if (violations) variables.push(violations.variable);
    const assert = violations ? `size(variables.${violations.variable.name}) == 0` : printCel(r.assert, ctx);
    const expression = r.when ? `${printNegated(r.when, ctx)} || ${assert}` : assert;
    const messageExpression = printCelMessage(r, ctx, violations ? `variables.${violations.variable.name}` : undefined);
    return {
      rule: r.name,
      expression,
      message: staticMessage(r.message, instance.values, fallback),
      ...(messageExpression ? { messageExpression } : {}),
    };
  });
  return formatted({
    variables,
    matchConditions,
    ...(when ? { preconditionNegated: printNegated(when, { ...bare, lists }) } : {}),
    validations,
  });
}

/**
 * The elements that violate a rule of the form `every(list, body)` whose message names the
 * element, bound once as a variable (`containerViolations`): the rule holds when it is empty, and
 * the messageExpression reads its first element, so the body (an image reference's parsing, say)
 * is written once, not once for the check and again for the message.
 */
function violationsVariable(r: Policy["rules"][number], ctx: CelContext, taken: Set<string>): { variable: CelVariable } | undefined {
  const a = r.assert;
  const steps = messageWitness(a, r.message).steps;
  const first = steps[0];
  if (a.kind !== "quantifier" || a.quantifier !== "all" || !first || first.variable !== a.variable || first.bodyHolds) return undefined;
  let name = `${a.variable}Violations`.replace(/[^A-Za-z0-9_]/g, "_");
  for (let i = 2; taken.has(name); i++) name = `${a.variable}Violations${i}`.replace(/[^A-Za-z0-9_]/g, "_");
  taken.add(name);
  return { variable: { name, expression: `${celLists(a.lists, ctx)}.filter(${a.variable}, ${printNegated(a.body, ctx)})` } };
}

/** Every expression laid out for people (format.ts): a long one is broken into indented lines. */
function formatted(cel: CelPolicy): CelPolicy {
  const named = (xs: readonly CelVariable[]) => xs.map((x) => ({ ...x, expression: formatCel(x.expression) }));
  return {
    ...cel,
    variables: named(cel.variables),
    matchConditions: named(cel.matchConditions),
    ...(cel.preconditionNegated ? { preconditionNegated: formatCel(cel.preconditionNegated) } : {}),
    validations: cel.validations.map((v) => ({
      ...v,
      expression: formatCel(v.expression),
      ...(v.messageExpression ? { messageExpression: formatCel(v.messageExpression) } : {}),
    })),
  };
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
