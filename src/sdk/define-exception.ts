import { z } from "zod";
import { checkName, issue, type Exception, type ExceptionMatch, type Issue, type LabelSelector, type SourceLocation } from "../ir/index.js";
import { labelSelectorSchema } from "../kube/index.js";
import { isPolicyDefinition, type PolicyDefinition } from "./define-policy.js";
import type { Kind } from "./kinds.js";
import { callerLocation } from "./source.js";
import { testCaseSchema } from "./test-case.js";

/**
 * A case kept with an exception and run on every policy it names: `allow` — the exception exempts
 * the resource (each named policy does not apply to it); `deny` — it is still denied (the
 * neighbour the exception must not reach).
 */
export const exceptionTestCaseSchema = testCaseSchema.omit({ instance: true }).extend({ expect: z.enum(["allow", "deny"]) });
export type ExceptionTestCase = Readonly<z.input<typeof exceptionTestCaseSchema>>;

export interface ExceptionMatchSpec {
  /** Kinds of the admitted object (among the policy's kinds; for pod policies, Pod or a pod controller). */
  readonly kinds?: readonly Kind<unknown>[];
  /** Namespaces of the admitted object. */
  readonly namespaces?: readonly string[];
  /** Names of the admitted object: exact, or a glob (`cilium-*`; `*` any characters, `?` one). */
  readonly names?: readonly string[];
  /** Label selector on the admitted object itself (a controller's own labels, not its pod template's). */
  readonly labels?: LabelSelector;
  /** Label selector on the object's namespace (Kubernetes and Gatekeeper only: see docs/exceptions.md). */
  readonly namespaceLabels?: LabelSelector;
  /** Requesting users, by username. */
  readonly users?: readonly string[];
  /** Requesting users' groups. */
  readonly groups?: readonly string[];
  /** Requesting service accounts, as `namespace:name`. */
  readonly serviceAccounts?: readonly `${string}:${string}`[];
}

export interface ExceptionSpec {
  /** DNS-1123 label: names the emitted PolicyExceptions and match conditions. */
  readonly name: string;
  /** The policies it exempts, as the policy objects themselves (a misspelling is a compile error). */
  readonly policies: readonly PolicyDefinition[];
  /** Exempt only these rules (only where every target can say so: see docs/exceptions.md). */
  readonly rules?: readonly string[];
  /** What it exempts: every criterion given must hold (items within one are alternatives). */
  readonly match: ExceptionMatchSpec;
  /** Why the exception exists: shown in reviews and emitted with it. */
  readonly reason: string;
  /** `YYYY-MM-DD`: after this day the build warns (and fails with --strict); Kyverno stops applying it. */
  readonly expires?: string;
  /** Cases run by `policyc test` on every policy it names. */
  readonly tests?: readonly ExceptionTestCase[];
}

const EXCEPTION = Symbol.for("policyc.exception-definition");

/** What `defineException` returns: the exception's IR (when it could be built), issues, and its cases. */
export interface ExceptionDefinition {
  readonly [EXCEPTION]: true;
  readonly name: string;
  readonly exception?: Exception;
  readonly issues: readonly Issue[];
  readonly tests: readonly ExceptionTestCase[];
  readonly source: SourceLocation;
}

export function isExceptionDefinition(x: unknown): x is ExceptionDefinition {
  return typeof x === "object" && x !== null && (x as { [EXCEPTION]?: unknown })[EXCEPTION] === true;
}

/** A definition copied out of the thread that loaded it (structured clone drops the marker symbol). */
export type TransferredException = Omit<ExceptionDefinition, typeof EXCEPTION>;

/** The fields of a definition to send to another thread: all of them but the marker. */
export function transferExceptionDefinition(d: ExceptionDefinition): TransferredException {
  const { [EXCEPTION]: _marker, ...fields } = d;
  return fields;
}

export function reviveExceptionDefinition(d: TransferredException): ExceptionDefinition {
  return { [EXCEPTION]: true, ...d };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An object name (DNS subdomain) with the glob characters `*` and `?`. */
const NAME_GLOB = /^[a-z0-9*?]([-a-z0-9.*?]*[a-z0-9*?])?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SERVICE_ACCOUNT = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

const specSchema = z
  .object({
    name: z.string({ error: "name is required" }),
    policies: z
      .array(z.unknown(), { error: "policies must list the policies it exempts" })
      .min(1, "policies must name at least one policy"),
    rules: z.array(z.string().min(1)).min(1).optional(),
    match: z
      .object(
        {
          kinds: z
            .array(z.object({ group: z.string(), kind: z.string() }).loose())
            .min(1)
            .optional(),
          namespaces: z.array(z.string()).min(1).optional(),
          names: z.array(z.string()).min(1).optional(),
          labels: labelSelectorSchema.optional(),
          namespaceLabels: labelSelectorSchema.optional(),
          users: z.array(z.string().min(1)).min(1).optional(),
          groups: z.array(z.string().min(1)).min(1).optional(),
          serviceAccounts: z.array(z.string()).min(1).optional(),
        },
        { error: "match is required: what the exception exempts" },
      )
      .strict(),
    reason: z.string({ error: "reason is required: why the exception exists" }).trim().min(1, "reason must not be empty"),
    expires: z.string().optional(),
    tests: z.array(z.unknown()).optional(),
  })
  .strict();

const pathOf = (p: readonly PropertyKey[]): (string | number)[] => p.filter((x): x is string | number => typeof x !== "symbol");

/**
 * Defines an exception: the policies it names are not applied to what its match selects. Emitted
 * for every target with the mechanism that target's engine honours (Kyverno PolicyException,
 * the VAP binding and match conditions, the Gatekeeper Constraint's match or Rego). Problems are
 * collected as located issues, as `definePolicy` does.
 */
export function defineException(spec: ExceptionSpec): ExceptionDefinition {
  const source = callerLocation();
  const name = typeof (spec as { name?: unknown })?.name === "string" ? spec.name : "<unnamed>";
  const tests = Array.isArray(spec?.tests) ? spec.tests : [];
  const result = (exception: Exception | undefined, issues: Issue[]): ExceptionDefinition => ({
    [EXCEPTION]: true,
    name,
    ...(exception ? { exception } : {}),
    issues,
    tests,
    source,
  });
  const parsed = specSchema.safeParse(spec);
  if (!parsed.success)
    return result(
      undefined,
      parsed.error.issues.map((i) => issue("invalid_exception", i.message, source, pathOf(i.path))),
    );
  const issues: Issue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push(issue("invalid_exception", message, source, path));
  const nameProblem = checkName(spec.name);
  if (nameProblem) issues.push(issue("invalid_name", `exception name "${spec.name}" ${nameProblem}`, source, ["name"]));
  const policies: string[] = [];
  spec.policies.forEach((p, i) => {
    if (!isPolicyDefinition(p)) at(["policies", i], "is not a policy: list the objects definePolicy (or a library policy) returned");
    else if (!policies.includes(p.name)) policies.push(p.name);
  });
  const m = spec.match;
  m.namespaces?.forEach((ns, i) => {
    if (!DNS_LABEL.test(ns) || ns.length > 63) at(["match", "namespaces", i], `"${ns}" is not a namespace name (a DNS-1123 label)`);
  });
  m.names?.forEach((n, i) => {
    if (!NAME_GLOB.test(n) || n.length > 253)
      at(["match", "names", i], `"${n}" is not an object name or a glob over one (lower case, digits, '-', '.', '*', '?')`);
  });
  // Exact strings: Kyverno would read `*` and `?` in a subject as wildcards, the other targets would not.
  for (const field of ["users", "groups"] as const)
    m[field]?.forEach((u, i) => {
      if (/[*?]/.test(u)) at(["match", field, i], `"${u}" has a wildcard: users and groups are matched exactly (globs are for names)`);
    });
  const users = [...(m.users ?? [])];
  m.serviceAccounts?.forEach((sa, i) => {
    const r = SERVICE_ACCOUNT.exec(sa);
    if (!r) at(["match", "serviceAccounts", i], `"${sa}" is not a service account: write namespace:name`);
    else users.push(`system:serviceaccount:${r[1]}:${r[3]}`);
  });
  for (const [field, sel] of [
    ["labels", m.labels],
    ["namespaceLabels", m.namespaceLabels],
  ] as const) {
    if (!sel) continue;
    if (!Object.keys(sel.matchLabels ?? {}).length && !sel.matchExpressions?.length)
      at(["match", field], "an empty selector selects everything: give matchLabels or matchExpressions");
  }
  const match: ExceptionMatch = {
    ...(m.kinds ? { kinds: m.kinds.map((k) => ({ group: k.group, kind: k.kind })) } : {}),
    ...(m.namespaces ? { namespaces: [...m.namespaces] } : {}),
    ...(m.names ? { names: [...m.names] } : {}),
    ...(m.labels ? { labelSelector: m.labels } : {}),
    ...(m.namespaceLabels ? { namespaceSelector: m.namespaceLabels } : {}),
    ...(users.length ? { users } : {}),
    ...(m.groups ? { groups: [...m.groups] } : {}),
  };
  // An exception that selects everything would switch its policies off: a misspelling, never intended.
  // A list that is empty, or holds a glob of only `*` (`names: ["*"]`), narrows nothing.
  const narrows = (k: string, v: unknown) =>
    k !== "kinds" && v !== undefined && !(Array.isArray(v) && (v.length === 0 || v.some((x) => typeof x === "string" && /^\*+$/.test(x))));
  if (!Object.entries(m).some(([k, v]) => narrows(k, v)))
    at(
      ["match"],
      'match selects every resource of the policy: name namespaces, names, labels or users (a list that is empty or holds "*" narrows nothing; switch a policy off with skip, not an exception)',
    );
  if (spec.expires !== undefined) {
    const d = DATE.exec(spec.expires);
    const date = d ? new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]))) : undefined;
    if (!date || date.toISOString().slice(0, 10) !== spec.expires) at(["expires"], `"${spec.expires}" is not a date: write YYYY-MM-DD`);
  }
  tests.forEach((t, i) => {
    const r = exceptionTestCaseSchema.safeParse(t);
    if (!r.success) for (const e of r.error.issues) at(["tests", i, ...pathOf(e.path)], e.message);
  });
  if (issues.length) return result(undefined, issues);
  const exception: Exception = {
    kind: "exception",
    name: spec.name,
    policies,
    ...(spec.rules ? { rules: [...spec.rules] } : {}),
    match,
    reason: spec.reason.trim(),
    ...(spec.expires !== undefined ? { expires: spec.expires } : {}),
    source,
  };
  return result(JSON.parse(JSON.stringify(exception)) as Exception, issues);
}
