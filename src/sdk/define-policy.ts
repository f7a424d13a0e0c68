import { z } from "zod";
import type { IPod } from "kubernetes-models/v1/Pod";
import {
  issue,
  type Enforcement,
  type Instance,
  type Issue,
  type JsonSchema,
  type LabelSelector,
  type Message,
  type Operation,
  type Policy,
  type Rule,
  type Severity,
  type SourceLocation,
  type TargetName,
  type TargetSetting,
} from "../ir/index.js";
import { DEFAULT_OPERATIONS, labelSelectorSchema, operationSchema } from "../kube/index.js";
import { Check, toCheck, type Part } from "./check.js";
import { admissionContext, type AdmissionContext } from "./context.js";
import { SdkError } from "./errors.js";
import { ANY, shapeOfKind, shapeOfKindRef, shapeOfSchema, unionShape, unknownKindMessage, type Shape } from "./field-types.js";
import type { Kind, KindsType } from "./kinds.js";
import type { Params, ParamValue } from "./params.js";
import { paramsRef, subjectRef, type Ref } from "./refs.js";
import { withLookupScope } from "./lookups.js";
import { callerLocation, errorLocation } from "./source.js";
import { structuralSchemaOf } from "./structural-schema.js";
import type { TestCase } from "./test-case.js";

type AnyParams = z.ZodObject<z.ZodRawShape> | undefined;
type ParamsOf<P extends AnyParams> = P extends z.ZodObject<z.ZodRawShape> ? z.output<P> : Record<string, never>;
type ParamsInput<P extends AnyParams> = P extends z.ZodObject<z.ZodRawShape> ? z.input<P> : Record<string, never>;

/** Rules over Pods read a Pod; pod controllers are covered through their pod template. */
export type SubjectOf<K extends readonly Kind<unknown>[]> = Kind<IPod> extends K[number] ? IPod : KindsType<K>;

/**
 * A condition over the subject: a check, or a boolean parameter (`(_, params) => params.strict`).
 * The third argument is the admission context (the old object, the operation, the user, the namespace).
 */
export type CheckFn<S, P> = (subject: Ref<S>, params: Params<P>, context: AdmissionContext<S>) => Check | ParamValue<boolean>;

export interface RuleSpec<S, P> {
  /** DNS-1123 label, unique within the policy. */
  readonly name: string;
  /** Precondition: the rule applies only where this holds. */
  readonly when?: CheckFn<S, P>;
  /** What must hold. */
  readonly assert: CheckFn<S, P>;
  /** Violation message, unless the check carries its own (`.message\`...\``). */
  readonly message?: string;
}

/**
 * Rules written as a function: a `.map()` inside it is typed with the policy's subject (an array
 * expression beside `match` is typed before the kinds are known, so its callbacks' parameters
 * would not be). `rule` returns its argument, typed, for rules built by helper functions.
 */
export type RulesFn<S, P> = (rule: (r: RuleSpec<S, P>) => RuleSpec<S, P>) => readonly RuleSpec<S, P>[];

export interface MatchSpec<K extends readonly Kind<unknown>[]> {
  /** Kinds to match. Matching `Pod` also covers Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob. */
  readonly kinds: K;
  /** Namespaces to include (default: all). */
  readonly namespaces?: readonly string[];
  readonly excludeNamespaces?: readonly string[];
  /** Label selector on the object itself. */
  readonly labels?: LabelSelector;
  /** Label selector on the object's namespace. */
  readonly namespaceLabels?: LabelSelector;
  /** Admission operations (default CREATE and UPDATE). */
  readonly operations?: readonly Operation[];
}

export interface InstanceSpec<P extends AnyParams> {
  /** Suffix of the instance's objects (`policy-name`); a policy's only instance may have none. */
  readonly name?: string;
  readonly params: ParamsInput<P>;
}

export interface PolicySpec<K extends readonly Kind<unknown>[], P extends AnyParams> {
  /** DNS-1123 label: the name of every generated object. */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly category?: string;
  readonly severity?: Severity;
  readonly match: MatchSpec<K>;
  /** Set false to read Pods only, not the pod templates of controllers. */
  readonly podControllers?: boolean;
  /** enforce (default): deny; audit: report only; warn: admit with a warning. */
  readonly enforcement?: Enforcement;
  /** Parameters, declared with zod; defaults are honoured. */
  readonly params?: P;
  /** Named parameter sets; each becomes its own Constraint / ValidatingPolicy / VAP. */
  readonly instances?: readonly InstanceSpec<P>[];
  /** Policy-wide precondition. */
  readonly when?: CheckFn<SubjectOf<K>, ParamsOf<P>>;
  /**
   * The rules. Rules built in a loop are written as a function, so TypeScript knows their
   * subject: `rules: () => LISTS.map((l) => ({ name: l, assert: (pod) => … }))`.
   */
  readonly rules?: readonly RuleSpec<SubjectOf<K>, ParamsOf<P>>[] | RulesFn<SubjectOf<K>, ParamsOf<P>>;
  /** Shorthand for a single rule named after the policy. */
  readonly validate?: CheckFn<SubjectOf<K>, ParamsOf<P>>;
  /** Targets this policy is not emitted for, each with the reason. */
  readonly skip?: Partial<Record<TargetName, string>>;
  /** Test cases run by `policyc test`. */
  readonly tests?: readonly TestCase[];
}

const POLICY = Symbol.for("policyc.policy-definition");

/** What `definePolicy` returns: the IR (when it could be built), issues, and the test cases. */
export interface PolicyDefinition {
  readonly [POLICY]: true;
  readonly name: string;
  readonly policy?: Policy;
  readonly issues: readonly Issue[];
  readonly tests: readonly TestCase[];
  readonly source: SourceLocation;
}

/** A definition copied out of the thread that loaded it (structured clone drops the marker symbol). */
/** A definition as it crosses threads: every field but the marker (structured clone drops symbols). */
export type TransferredPolicy = Omit<PolicyDefinition, typeof POLICY>;

/** The fields of a definition to send to another thread: all of them (a field added to PolicyDefinition travels too). */
export function transferPolicyDefinition(d: PolicyDefinition): TransferredPolicy {
  const { [POLICY]: _marker, ...fields } = d;
  return fields;
}

export function revivePolicyDefinition(d: TransferredPolicy): PolicyDefinition {
  return { [POLICY]: true, ...d };
}

export function isPolicyDefinition(x: unknown): x is PolicyDefinition {
  return typeof x === "object" && x !== null && (x as { [POLICY]?: unknown })[POLICY] === true;
}

const fn = z.custom<(...a: unknown[]) => unknown>((v) => typeof v === "function", { message: "expected a function" });
const selector = labelSelectorSchema;
const kindSchema = z.object({
  group: z.string(),
  version: z.string().min(1),
  kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, "kind must be a PascalCase Kubernetes kind"),
  resource: z.string().regex(/^[a-z][a-z0-9.-]*$/, "resource must be a lowercase plural resource name"),
  namespaced: z.boolean(),
});

const ruleSchema = z.object({ name: z.string(), when: fn.optional(), assert: fn, message: z.string().optional() }).strict();

/** Runtime check of the spec, for JavaScript callers and values typed `any`. */
const specSchema = z
  .object({
    name: z.string({ error: "name is required" }),
    title: z.string().optional(),
    description: z.string().optional(),
    category: z.string().optional(),
    severity: z.enum(["low", "medium", "high", "critical"]).optional(),
    match: z
      .object({
        kinds: z
          .array(kindSchema, { error: "match.kinds must be a list of kinds, e.g. [Pod]" })
          .min(1, "match.kinds must name at least one kind"),
        namespaces: z.array(z.string().min(1)).optional(),
        excludeNamespaces: z.array(z.string().min(1)).optional(),
        labels: selector.optional(),
        namespaceLabels: selector.optional(),
        operations: z.array(operationSchema).min(1).optional(),
      })
      .strict(),
    podControllers: z.boolean().optional(),
    enforcement: z.enum(["enforce", "audit", "warn"]).optional(),
    params: z
      .custom<z.ZodObject<z.ZodRawShape>>((v) => v instanceof z.ZodObject, { message: "params must be a z.object({...}) schema" })
      .optional(),
    instances: z.array(z.object({ name: z.string().optional(), params: z.record(z.string(), z.unknown()) }).strict()).optional(),
    when: fn.optional(),
    rules: z.union([z.array(z.unknown()), fn], { error: "rules must be a list of rules, or a function returning one" }).optional(),
    validate: fn.optional(),
    skip: z
      .object({ kyverno: z.string().min(1), kubernetes: z.string().min(1), gatekeeper: z.string().min(1) })
      .partial()
      .strict()
      .optional(),
    tests: z.array(z.unknown()).optional(),
  })
  .strict()
  .refine((s) => s.rules !== undefined || s.validate !== undefined, { message: "a policy needs rules or validate", path: ["rules"] });

const pathOf = (p: readonly PropertyKey[]): (string | number)[] => p.filter((x): x is string | number => typeof x !== "symbol");

/**
 * Defines a policy. The rule functions run once, here, against typed references, and what they
 * build becomes the policy's IR. Problems are collected as issues (with the location of this
 * call) rather than thrown, so `policyc build` can report every policy's problems at once.
 */
export function definePolicy<const K extends readonly Kind<unknown>[], P extends AnyParams = undefined>(
  spec: PolicySpec<K, P>,
): PolicyDefinition {
  const source = callerLocation();
  const name = typeof (spec as { name?: unknown })?.name === "string" ? spec.name : "<unnamed>";
  const result = (policy: Policy | undefined, issues: Issue[]): PolicyDefinition => ({
    [POLICY]: true,
    name,
    ...(policy ? { policy } : {}),
    issues,
    tests: Array.isArray(spec?.tests) ? spec.tests : [],
    source,
  });
  const parsed = specSchema.safeParse(spec);
  if (!parsed.success) {
    return result(
      undefined,
      parsed.error.issues.map((i) =>
        issue(i.path[0] === "match" && i.path[1] === "kinds" ? "unknown_kind" : "invalid_policy", i.message, source, pathOf(i.path)),
      ),
    );
  }
  const issues: Issue[] = [];
  const kinds = spec.match.kinds as readonly Kind<unknown>[];
  const hasPod = kinds.some((k) => k.group === "" && k.kind === "Pod");
  const subject = hasPod && spec.podControllers !== false ? "pod" : "resource";
  if (subject === "pod") {
    const others = kinds.filter((k) => !(k.group === "" && k.kind === "Pod"));
    if (others.length > 0) {
      issues.push(
        issue(
          "unknown_kind",
          `a Pod policy reads pods (and the pod templates of controllers); match ${others.map((k) => k.kind).join(", ")} in a separate policy, or set podControllers: false`,
          source,
          ["match", "kinds"],
        ),
      );
    }
  }

  const { params: paramSchema, instances } = buildParams(spec, source, issues);
  const subjectShape = subject === "pod" ? shapeOfKind("v1", "Pod")! : unionShape(kinds.map((k) => shapeOfSubject(k, source, issues)));
  const paramsShape = paramSchema ? shapeOfSchema(paramSchema, "params") : shapeOfSchema({ type: "object", properties: {} }, "params");
  const build = (label: (string | number)[], f: (...a: never[]) => unknown): Check | undefined => {
    try {
      // Each rule function has its own `get` objects (sdk/lookups.ts).
      return withLookupScope(() => {
        const out = (f as (s: unknown, p: unknown, c: unknown) => unknown)(
          subjectRef(subjectShape),
          paramsRef(paramsShape),
          admissionContext(subjectShape),
        );
        return toCheck(out, label.join("."));
      });
    } catch (e) {
      // An SDK mistake is reported at the offending call; anything else where the policy file threw it.
      if (e instanceof SdkError) issues.push(issue(e.code, e.message, e.source));
      else
        issues.push(
          issue(
            "invalid_policy",
            e instanceof Error ? e.message : thrownText(e),
            errorLocation(e) ?? source,
            errorLocation(e) ? [] : label,
          ),
        );
    }
    return undefined;
  };

  const rules: Rule[] = [];
  const ruleSpecs = rulesOf(spec, source, issues);
  ruleSpecs.forEach((r, i) => {
    const label: (string | number)[] = spec.rules ? ["rules", i] : ["validate"];
    const assert = build(spec.rules ? [...label, "assert"] : label, r.assert);
    const when = r.when ? build([...label, "when"], r.when) : undefined;
    if (!assert) return;
    const fallback: Message = {
      parts: [{ kind: "text", text: r.message ?? spec.title ?? `${spec.name}: rule ${r.name} is violated` }],
      source,
    };
    // Conjuncts with messages of their own become rules of their own: each failing one reports its message.
    const parts: readonly Part[] = assert.parts ?? [
      { expr: assert.expr, ...(assert.attachedMessage ? { message: assert.attachedMessage } : {}) },
    ];
    parts.forEach((part, k) => {
      const name = k === 0 ? r.name : `${r.name}-${k + 1}`;
      rules.push({
        name,
        ...(when ? { when: when.expr } : {}),
        assert: part.expr,
        message: part.message ?? fallback,
        source: part.expr.source,
      });
    });
  });
  const when = spec.when ? build(["when"], spec.when) : undefined;

  const targets = {} as Record<TargetName, TargetSetting>;
  for (const t of ["kyverno", "kubernetes", "gatekeeper"] as const) {
    const reason = spec.skip?.[t];
    targets[t] = reason ? { enabled: false, reason, source } : { enabled: true };
  }
  const namespaces =
    spec.match.namespaces || spec.match.excludeNamespaces
      ? {
          ...(spec.match.namespaces ? { include: spec.match.namespaces } : {}),
          ...(spec.match.excludeNamespaces ? { exclude: spec.match.excludeNamespaces } : {}),
        }
      : undefined;
  const policy: Policy = {
    kind: "policy",
    name: spec.name,
    ...(spec.title !== undefined ? { title: spec.title } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...(spec.category !== undefined ? { category: spec.category } : {}),
    ...(spec.severity !== undefined ? { severity: spec.severity } : {}),
    subject,
    match: {
      kinds: kinds.map((k) => ({ group: k.group, version: k.version, kind: k.kind, resource: k.resource, namespaced: k.namespaced })),
      operations: spec.match.operations ?? DEFAULT_OPERATIONS,
      ...(namespaces ? { namespaces } : {}),
      ...(spec.match.labels ? { labelSelector: spec.match.labels } : {}),
      ...(spec.match.namespaceLabels ? { namespaceSelector: spec.match.namespaceLabels } : {}),
    },
    ...(when ? { when: when.expr } : {}),
    rules,
    enforcement: spec.enforcement ?? "enforce",
    ...(paramSchema ? { params: paramSchema } : {}),
    instances,
    targets,
    source,
  };
  // A JSON round trip drops undefined fields and proves the IR is plain data.
  return result(JSON.parse(JSON.stringify(policy)) as Policy, issues);
}

/** The shape of a matched kind's objects: the field table's, a custom kind's schema's, or unchecked. */
function shapeOfSubject(k: Kind<unknown>, source: SourceLocation, issues: Issue[]): Shape {
  const shape = shapeOfKindRef(k);
  if (shape) return shape;
  issues.push(issue("unknown_kind", unknownKindMessage(k), source, ["match", "kinds"]));
  return ANY;
}

/** The policy's rules: its `rules` array, what its `rules` function returns, or its `validate` as one rule. */
function rulesOf<K extends readonly Kind<unknown>[], P extends AnyParams>(
  spec: PolicySpec<K, P>,
  source: SourceLocation,
  issues: Issue[],
): readonly RuleSpec<SubjectOf<K>, ParamsOf<P>>[] {
  if (spec.rules === undefined) return [{ name: spec.name, assert: spec.validate! }];
  let out: unknown = spec.rules;
  if (typeof spec.rules === "function") {
    try {
      out = spec.rules((r) => r);
    } catch (e) {
      issues.push(issue("invalid_policy", e instanceof Error ? e.message : thrownText(e), errorLocation(e) ?? source, ["rules"]));
      return [];
    }
  }
  const parsed = z.array(ruleSchema).safeParse(out);
  if (!parsed.success) {
    const what = typeof spec.rules === "function" ? "what rules() returns" : "rules";
    for (const i of parsed.error.issues)
      issues.push(issue("invalid_policy", `${what}: ${i.message}`, source, ["rules", ...pathOf(i.path)]));
    return [];
  }
  return out as readonly RuleSpec<SubjectOf<K>, ParamsOf<P>>[];
}

function buildParams<K extends readonly Kind<unknown>[], P extends AnyParams>(
  spec: PolicySpec<K, P>,
  source: SourceLocation,
  issues: Issue[],
): { params?: JsonSchema; instances: Instance[] } {
  const schema = spec.params as z.ZodObject<z.ZodRawShape> | undefined;
  if (!schema) {
    if (spec.instances?.length) issues.push(issue("invalid_params", "instances need a params schema", source, ["instances"]));
    return { instances: [{ values: {}, source }] };
  }
  const params = structuralSchemaOf(schema, "input");
  const specs = spec.instances?.length
    ? spec.instances.map((i, n) => ({ ...i, path: ["instances", n, "params"] }))
    : [{ name: undefined, params: {}, path: ["params"] }];
  const instances: Instance[] = [];
  for (const inst of specs) {
    const r = schema.safeParse(inst.params);
    if (!r.success) {
      for (const e of r.error.issues) {
        const where =
          inst.name !== undefined
            ? `instance "${inst.name}"`
            : spec.instances?.length
              ? "the parameters"
              : "the default parameters (add instances, or defaults)";
        const at = ["params", ...pathOf(e.path)].join(".");
        issues.push(issue("invalid_params", `${where}: ${at}: ${e.message}`, source, [...inst.path, ...pathOf(e.path)]));
      }
      continue;
    }
    // Parameters are JSON (a Constraint's parameters, a CEL literal): a BigInt has no JSON form.
    const big = bigIntPath(r.data);
    if (big) {
      const where = inst.name !== undefined ? `instance "${inst.name}"` : "the parameters";
      issues.push(
        issue("invalid_params", `${where}: ${["params", ...big].join(".")} is a BigInt; parameters are JSON: use a number`, source, [
          ...inst.path,
          ...big,
        ]),
      );
      continue;
    }
    instances.push({ ...(inst.name !== undefined ? { name: inst.name } : {}), values: r.data as Record<string, unknown>, source });
  }
  return { params, instances };
}

/** A thrown value that is not an Error, as text (an object without a prototype has no toString). */
function thrownText(e: unknown): string {
  try {
    return typeof e === "string" ? e : `the function threw ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    return `the function threw a value that is not an Error (${Object.prototype.toString.call(e)})`;
  }
}

/** The path of the first BigInt inside a value, if any. */
function bigIntPath(v: unknown, at: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof v === "bigint") return at;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const p = bigIntPath(x, [...at, i]);
      if (p) return p;
    }
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const p = bigIntPath(x, [...at, k]);
      if (p) return p;
    }
  }
  return undefined;
}
