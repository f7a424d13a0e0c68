import {
  admittedKinds,
  isAdmissionOnly,
  messageWitness,
  renameElementVariables,
  trimMessage,
  type Policy,
  type Rule as IrRule,
} from "../../ir/index.js";
import { POD_CONTROLLERS } from "../../kube/index.js";
import {
  binary,
  call,
  expr,
  index,
  ref,
  statementsMention,
  termMentions,
  v,
  type Definition,
  type Module,
  type Prelude,
  type Rule,
  type Statement,
  type Term,
} from "./ast.js";
import { RegoBuilder, SUBJECT } from "./builder.js";
import { REGO_KEYWORDS } from "./escape.js";
import { exemptionRules } from "./exceptions.js";
import { fails, holds } from "./lower-condition.js";

/** Rego package for a policy: Gatekeeper convention is the lowercased constraint kind. */
export function regoPackage(p: Policy): string {
  return p.name.replace(/-/g, "");
}

const REVIEW = ref(v("input"), "review");
const OPERATION = ref(REVIEW, "operation");

/**
 * A policy as the Rego module of its Gatekeeper ConstraintTemplate: `violation[{"msg",
 * "details"}]` over `input.review.object` and `input.parameters`, and exactly what it reaches.
 * Conditions become helper functions so they can be negated; their arguments are the subject and
 * the quantifier elements in scope.
 */
/**
 * Names an element variable may not take in the module: Rego's keywords, its root documents and
 * reserved names, and the rules and variables policyc's modules define.
 */
const ELEMENT_TAKEN: ReadonlySet<string> = new Set([
  ...REGO_KEYWORDS,
  ...["input", "data", "future", "rego", "_"],
  ...["violation", "applies", "_exempt", "msg", "details", "pod", "oldPod", "subject", "object", "oldObject", "request", "params"],
]);

export function lowerRegoModule(policy: Policy): Module {
  const p = renameElementVariables(policy, ELEMENT_TAKEN);
  const deletes = p.match.operations.includes("DELETE");
  const b = new RegoBuilder(
    p.subject === "pod" ? { object: deletes ? v("_object") : ref(REVIEW, "object"), oldObject: ref(REVIEW, "oldObject") } : undefined,
    admittedKinds(p),
  );
  const violations = p.rules.map((r) => violation(b, r));
  const exempt = exemptionRules(p, p.match.operations.includes("DELETE") ? v("_object") : ref(REVIEW, "object"));
  const applies = appliesRule(b, p, exempt.length > 0);
  const readers = [...violations, applies, ...exempt];
  return {
    package: regoPackage(p),
    imports: ["rego.v1"],
    items: [...readers, ...reached(subjectRules(p, b), [...readers, ...b.helpers]), ...b.helpers],
  };
}

const mentions = (r: Rule | Prelude, name: string) =>
  r.kind === "rule" &&
  r.definitions.some(
    (d) => statementsMention(d.body, name) || (d.value && termMentions(d.value, name)) || (d.else && termMentions(d.else, name)),
  );

/**
 * The subject section's rules something reads (a pod policy that reads only its own name and
 * namespace never reads `_subject`, and then maybe not `_object`): the module holds what the
 * policy means and nothing else.
 */
function reached(section: readonly Rule[], readers: readonly (Rule | Prelude)[]): Rule[] {
  const kept = new Set<Rule>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of section)
      if (!kept.has(r) && [...readers, ...kept].some((x) => x !== r && mentions(x, r.name))) {
        kept.add(r);
        grew = true;
      }
  }
  return section.filter((r) => kept.has(r));
}

function violation(b: RegoBuilder, r: IrRule): Rule {
  const body: Statement[] = [];
  if (r.when) body.push(...holds(b, r.when, []));
  const { steps } = messageWitness(r.assert, r.message);
  const scope: string[] = [];
  if (steps.length === 0) body.push(...fails(b, r.assert, []));
  steps.forEach((s, i) => {
    body.push({ kind: "some", vars: [s.variable], domain: b.lists(s.lists) });
    scope.push(s.variable);
    if (i === steps.length - 1) body.push(...(s.bodyHolds ? holds(b, s.body, scope) : fails(b, s.body, scope)));
  });
  body.push({ kind: "assign", name: "msg", value: message(b, r) });
  body.unshift(...prologue(body, expr(v("applies"))));
  const element: Term = {
    kind: "object",
    entries: [
      [{ kind: "value", value: "msg" }, v("msg")],
      [
        { kind: "value", value: "details" },
        {
          kind: "object",
          entries: [
            [
              { kind: "value", value: "rule" },
              { kind: "value", value: r.name },
            ],
          ],
        },
      ],
    ],
  };
  return { kind: "rule", name: "violation", head: "contains", comment: r.name, definitions: [{ value: element, body }] };
}

/** A body's first statements: `first`, then `subject := _subject` when the body reads the subject (strict mode refuses unused variables). */
function prologue(body: readonly Statement[], first: Statement): Statement[] {
  return statementsMention(body, SUBJECT) ? [first, { kind: "assign", name: SUBJECT, value: v("_subject") }] : [first];
}

const withPrologue = (first: Statement, body: Statement[]): Statement[] => [...prologue(body, first), ...body];

/** The violation's message: its text trimmed of white space at both ends, as the API server shows messages (ir/message-text.ts). */
function message(b: RegoBuilder, r: IrRule): Term {
  if (r.message.parts.every((p) => p.kind === "text"))
    return { kind: "value", value: trimMessage(r.message.parts.map((p) => (p.kind === "text" ? p.text : "")).join("")) };
  const parts = r.message.parts.map((part): Term =>
    part.kind === "text" ? { kind: "value", value: part.text } : b.messageValue(part.value),
  );
  return call("trim_space", call("concat", { kind: "value", value: "" }, { kind: "array", items: parts }));
}

/**
 * `applies`: the review's operation matches and the policy's precondition holds. Every violation
 * requires it, so the module holds what the policy means and nothing else.
 */
function appliesRule(b: RegoBuilder, p: Policy, exempts: boolean): Rule {
  const comment = exempts
    ? "Whether the policy applies to the review (operation, precondition, no exception); every violation requires it."
    : "Whether the policy applies to the review (operation and precondition); every violation requires it.";
  const notExempt: Statement[] = exempts ? [{ kind: "not", term: v("_exempt") }] : [];
  const definition: Definition = p.when
    ? { body: [...withPrologue(expr(v("_operation_matches")), holds(b, p.when, [])), ...notExempt] }
    : { body: [expr(v("_operation_matches")), ...notExempt], inline: !exempts };
  return { kind: "rule", name: "applies", head: "complete", comment, definitions: [definition] };
}

const inline = (value: Term | undefined, ...body: Statement[]): Definition => ({ ...(value ? { value } : {}), body, inline: true });

function subjectRules(p: Policy, b: RegoBuilder): Rule[] {
  const rules: Rule[] = [];
  const deletes = p.match.operations.includes("DELETE");
  const object = deletes ? v("_object") : ref(REVIEW, "object");
  const oldObject = ref(REVIEW, "oldObject");
  if (deletes) {
    rules.push({
      kind: "rule",
      name: "_object",
      head: "complete",
      comment: "DELETE requests carry the object in oldObject.",
      definitions: [
        inline(oldObject, expr(binary("==", OPERATION, { kind: "value", value: "DELETE" }))),
        inline(ref(REVIEW, "object"), expr(binary("!=", OPERATION, { kind: "value", value: "DELETE" }))),
        inline(ref(REVIEW, "object"), { kind: "not", term: OPERATION }),
      ],
    });
  }
  const matched = inline(
    undefined,
    expr(binary("in", OPERATION, { kind: "set", items: p.match.operations.map((o) => ({ kind: "value", value: o })) })),
  );
  rules.push(
    isAdmissionOnly(p)
      ? {
          kind: "rule",
          name: "_operation_matches",
          head: "complete",
          comment:
            "The policy reads what only an admission request has (the old object, the operation or the user): audit reviews, which carry no operation, are not checked.",
          definitions: [matched],
        }
      : {
          kind: "rule",
          name: "_operation_matches",
          head: "complete",
          comment: "Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.",
          definitions: [inline(undefined, { kind: "not", term: OPERATION }), matched],
        },
  );
  if (b.needed.has("namespace")) {
    rules.push({
      kind: "rule",
      name: "_namespace",
      head: "complete",
      comment: "The request's Namespace, from the cluster data Gatekeeper syncs (see the sync Config policyc emits).",
      definitions: [{ value: index(ref(v("data"), "inventory", "cluster", "v1", "Namespace"), ref(REVIEW, "namespace")), body: [] }],
    });
  }
  if (p.subject === "resource") {
    rules.push({ kind: "rule", name: "_subject", head: "complete", definitions: [{ value: object, body: [] }] });
    if (b.needed.has("old_subject")) {
      rules.push({
        kind: "rule",
        name: "_old_subject",
        head: "complete",
        comment: "The existing object (UPDATE, DELETE).",
        definitions: [{ value: oldObject, body: [] }],
      });
    }
    return rules;
  }
  rules.push(podRule("_subject", "The pod the rules read: the Pod itself, or the pod template of a controller.", object));
  if (b.needed.has("old_subject")) rules.push(podRule("_old_subject", "The same of the existing object (UPDATE, DELETE).", oldObject));
  return rules;
}

/** The pod read from an object: the Pod itself, or the pod template of a controller. */
function podRule(name: string, comment: string, from: Term): Rule {
  const template = (path: readonly string[]): Term =>
    path.reduce<Term>((acc, seg) => call("object.get", acc, { kind: "value", value: seg }, { kind: "value", value: {} }), from);
  const kindIn = (kinds: readonly string[]) =>
    expr(binary("in", ref(from, "kind"), { kind: "set", items: kinds.map((k) => ({ kind: "value", value: k })) }));
  const cron = POD_CONTROLLERS.filter((c) => c.kind.kind === "CronJob");
  const rest = POD_CONTROLLERS.filter((c) => c.kind.kind !== "CronJob");
  return {
    kind: "rule",
    name,
    head: "complete",
    comment,
    definitions: [
      inline(from, expr(binary("==", ref(from, "kind"), { kind: "value", value: "Pod" }))),
      inline(template(rest[0]!.template), kindIn(rest.map((c) => c.kind.kind))),
      inline(template(cron[0]!.template), kindIn(cron.map((c) => c.kind.kind))),
    ],
  };
}
