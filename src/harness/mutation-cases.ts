/**
 * Mutation cases (defineMutation `tests`): each case's object is mutated on every engine; a row
 * fails when an engine's result is not the expected object (or fields), when applying the
 * mutation again changes the result (every mutation must be idempotent, as Gatekeeper requires
 * and admission's reinvocation assumes), or when the engines' results differ (a disagreement,
 * reported as a structural diff against the reference engine's result).
 */
import path from "node:path";
import type { CompiledMutation } from "../build/index.js";
import type { EngineName, MutationAnswer, MutationEngine } from "../engines/index.js";
import { instanceName, issue, type Issue, type SourceLocation } from "../ir/index.js";
import { storedNamespace, type AdmissionRequest, type KubeObject } from "../kube/index.js";
import { mutationTestCaseSchema, type MutationTestCase } from "../sdk/index.js";
import {
  canonicalJson,
  compareMutations,
  composeMutationEngines,
  mutateOnEngines,
  mutationActual,
  shownAnswer,
  type Runtimes,
} from "./compose.js";
import { depthProblem, readFixtures } from "./fixtures.js";
import type { ResultRow, RowCause } from "./report.js";

type Json = unknown;
const isObj = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An object as the API server hands it to admission: decoded into its type, which keeps no null fields. */
export function withoutNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(withoutNulls) as T;
  if (isObj(v))
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, withoutNulls(x)]),
    ) as T;
  return v;
}

const listKey = (items: readonly Json[]): string | undefined =>
  items.length > 0 && items.every((i) => isObj(i) && typeof i.name === "string") ? "name" : undefined;

/**
 * What changed from `before` to `after`, one line per field (`spec.containers[name: app].image:
 * "nginx" → "mirror/nginx"`, `+` added, `-` removed); lists of named objects are matched by name.
 */
export function objectDiff(before: Json, after: Json, at = ""): string[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  const show = (v: Json) => JSON.stringify(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const p = at ? `${at}.${k}` : k;
      if (!(k in before)) return [`+ ${p}: ${show(after[k])}`];
      if (!(k in after)) return [`- ${p}: ${show(before[k])}`];
      return objectDiff(before[k], after[k], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after) && listKey(before) && listKey(after)) {
    const name = (i: Json) => (i as { name: string }).name;
    const names = [...new Set([...before.map(name), ...after.map(name)])];
    return names.flatMap((n) => {
      const b = before.find((i) => name(i) === n);
      const a = after.find((i) => name(i) === n);
      const p = `${at}[name: ${n}]`;
      if (b === undefined) return [`+ ${p}: ${show(a)}`];
      if (a === undefined) return [`- ${p}: ${show(b)}`];
      return objectDiff(b, a, p);
    });
  }
  return [`~ ${at}: ${show(before)} → ${show(after)}`];
}

/** The value at a dotted path (`spec.containers.0.image`; numbers index lists), or undefined. */
function fieldAt(v: Json, dotted: string): Json {
  let at = v;
  for (const seg of dotted.split(".")) {
    if (Array.isArray(at) && /^\d+$/.test(seg)) at = at[Number(seg)];
    else if (isObj(at)) at = at[seg];
    else return undefined;
  }
  return at;
}

export interface MutationCaseOutcome {
  readonly rows: ResultRow[];
  readonly disagreements: number;
  readonly issues: Issue[];
}

interface CaseInput {
  readonly object: KubeObject;
  readonly expected?: KubeObject;
  readonly namespaces: Record<string, KubeObject>;
}

/** A case's objects: the resource, the expected object, the namespaces (files relative to the mutation's file). */
function caseInput(cm: CompiledMutation, test: MutationTestCase, index: number, cwd: string): CaseInput | Issue {
  const where = (field: string) => ["tests", index, field];
  const bad = (field: string, message: string) =>
    issue("invalid_test_case", `tests[${index}].${field}: ${message}`, cm.mutation.source, where(field));
  const one = (o: string | Record<string, unknown>, field: string): { object: KubeObject } | { issue: Issue } => {
    if (typeof o !== "string") {
      const deep = depthProblem(o);
      return deep ? { issue: bad(field, `the inline object ${deep}`) } : { object: withoutNulls(o as KubeObject) };
    }
    const r = readFixtures(path.resolve(cwd, path.dirname(cm.file), o), cwd);
    if (!r.ok)
      return {
        issue: bad(field, `${r.issue.source ? `${r.issue.source.file}:${r.issue.source.line}` : (r.issue.file ?? o)}: ${r.issue.message}`),
      };
    if (r.value.length !== 1) return { issue: bad(field, `${o} holds ${r.value.length} documents; a mutation case mutates one object`) };
    return { object: withoutNulls(r.value[0]!.object) };
  };
  const object = one(test.resource, "resource");
  if ("issue" in object) return object.issue;
  let expected: KubeObject | undefined;
  if (test.expect !== undefined && test.expect !== "unchanged" && test.expect !== "skip") {
    const e = one(test.expect, "expect");
    if ("issue" in e) return e.issue;
    expected = e.object;
  }
  const namespaces: Record<string, KubeObject> = {};
  for (const n of test.namespaces ?? []) {
    const ns = one(n, "namespaces");
    if ("issue" in ns) return ns.issue;
    namespaces[String(ns.object.metadata?.name ?? "")] = ns.object;
  }
  // Every namespace as the API server stores it (its name label); the object's exists even when the case does not describe it.
  const own = object.object.metadata?.namespace;
  if (own && !namespaces[own]) namespaces[own] = storedNamespace(own) as KubeObject;
  for (const [name, ns] of Object.entries(namespaces)) namespaces[name] = storedNamespace(name, ns) as KubeObject;
  return { object: object.object, ...(expected ? { expected } : {}), namespaces };
}

/** What the case expects of one engine's answer: undefined when it holds, else why not. */
function expectationMismatch(test: MutationTestCase, input: CaseInput, answer: MutationAnswer): string | undefined {
  if (answer.kind === "error") return `error: ${answer.message}`;
  if (test.expect === "skip") return answer.kind === "skip" ? undefined : "the mutation applies; the case expects it not to";
  if (answer.kind === "skip") return "the mutation does not apply to the object";
  if (test.expect === "unchanged") {
    const d = objectDiff(input.object, answer.object);
    return d.length ? `the case expects no change; changed:\n${d.join("\n")}` : undefined;
  }
  if (input.expected) {
    const d = objectDiff(input.expected, answer.object);
    if (d.length) return `the result differs from the expected object (expected → actual):\n${d.join("\n")}`;
  }
  for (const [field, want] of Object.entries(test.fields ?? {})) {
    const got = fieldAt(answer.object, field);
    const ok = want === null ? got === undefined : canonicalJson(got) === canonicalJson(want);
    if (!ok)
      return `${field} is ${got === undefined ? "absent" : JSON.stringify(got)}, expected ${want === null ? "absent" : JSON.stringify(want)}`;
  }
  return undefined;
}

/** The object mutated a second time differs from the first result: the mutation is not idempotent. */
function notIdempotent(
  engine: MutationEngine,
  request: { policy: string; admission: AdmissionRequest },
  first: MutationAnswer,
): string | undefined {
  if (first.kind !== "mutated") return undefined;
  const again = engine.mutate({ policy: request.policy, admission: { ...request.admission, object: first.object as KubeObject } });
  if (again.kind === "error") return `applying the mutation to its own result failed: ${again.message}`;
  if (again.kind === "skip") return undefined;
  const d = objectDiff(first.object, again.object);
  return d.length ? `not idempotent: applying the mutation to its result changes it again:\n${d.join("\n")}` : undefined;
}

/** One case: every engine's answer, compared, judged, checked for idempotence; its rows, or its bad input. */
function runCase(
  cm: CompiledMutation,
  raw: MutationTestCase,
  index: number,
  engines: readonly MutationEngine[],
  cwd: string,
): { rows: ResultRow[]; disagreed: boolean } | Issue {
  const parsed = mutationTestCaseSchema.safeParse(raw);
  if (!parsed.success)
    return issue(
      "invalid_test_case",
      `tests[${index}]: ${parsed.error.issues.map((i) => `${i.path.join(".") || "case"}: ${i.message}`).join("; ")}`,
      cm.mutation.source,
      ["tests", index],
    );
  const test = parsed.data as MutationTestCase;
  const input = caseInput(cm, test, index, cwd);
  if (!("namespaces" in input)) return input;
  const inst = test.instance === undefined ? cm.mutation.instances[0]! : cm.mutation.instances.find((i) => i.name === test.instance);
  if (!inst)
    return issue(
      "invalid_test_case",
      `tests[${index}].instance: mutation ${cm.mutation.name} has no instance "${test.instance}"`,
      cm.mutation.source,
      ["tests", index, "instance"],
    );
  const policy = instanceName(cm.mutation.name, inst);
  const admission: AdmissionRequest = {
    operation: test.operation ?? "CREATE",
    object: input.object,
    cluster: { namespaces: input.namespaces },
  };
  const answers = mutateOnEngines(engines, cm.mutation, { policy, admission });
  const disagreed = compareMutations(answers);
  const referee = answers.find((a) => a.engine === "reference");
  const rows = answers.map((a): ResultRow => {
    const mismatch = expectationMismatch(test, input, a.answer) ?? notIdempotent(a.e, { policy, admission }, a.answer);
    const differs = disagreed && referee && a !== referee && canonicalJson(a.answer) !== canonicalJson(referee.answer);
    const cause: RowCause | undefined = differs
      ? {
          kind: "disagreement",
          verdicts: Object.fromEntries(answers.map((x) => [x.engine, mutationActual(x.answer, input.object)])),
          mismatch: `${a.engine} vs reference:\n${objectDiff(shownAnswer(referee.answer), shownAnswer(a.answer)).join("\n")}`,
        }
      : mismatch
        ? a.answer.kind === "error"
          ? { kind: "error", code: "evaluation_error", detail: a.answer.message }
          : { kind: "mismatch", detail: mismatch }
        : undefined;
    return {
      policy,
      rule: "",
      case: test.name ?? `#${index + 1}`,
      resource: `${String(input.object.kind)}/${String(input.object.metadata?.name ?? "")}`,
      engine: a.engine,
      expected: typeof test.expect === "string" ? test.expect : test.expect ? "object" : "fields",
      actual: mutationActual(a.answer, input.object),
      status: cause ? (cause.kind === "error" ? "error" : "fail") : "pass",
      messages: a.answer.kind === "mutated" ? objectDiff(input.object, a.answer.object) : [],
      ...(cause ? { cause } : {}),
      source: cm.file,
      location: cm.mutation.source as SourceLocation,
      casePath: ["tests", index],
      durationMs: a.ms,
    };
  });
  return { rows, disagreed };
}

/** Every case of every mutation, on every engine of `names` whose runtime is here. */
export function runMutationCases(
  mutations: readonly CompiledMutation[],
  names: readonly EngineName[],
  runtimes: Runtimes,
  cwd: string,
): MutationCaseOutcome {
  const rows: ResultRow[] = [];
  const issues: Issue[] = [];
  let disagreements = 0;
  const sets = [{ id: "", documents: mutations.flatMap((m) => m.outputs.flatMap((o) => o.documents as KubeObject[])) }];
  const { engines, problems } = composeMutationEngines({ sets, mutations: mutations.map((m) => m.mutation) }, names, runtimes);
  try {
    if (problems.length) {
      const p = problems[0]!;
      issues.push(
        issue(
          "internal_error",
          `the ${p.engine} engine refused a generated mutation document: ${p.field.join(".")}: ${p.message}`,
          undefined,
        ),
      );
      return { rows, disagreements, issues };
    }
    for (const cm of mutations)
      cm.tests.forEach((raw, index) => {
        const r = runCase(cm, raw, index, engines, cwd);
        if (!("rows" in r)) return void issues.push(r);
        rows.push(...r.rows);
        if (r.disagreed) disagreements++;
      });
  } finally {
    for (const e of engines) e.release();
  }
  return { rows, disagreements, issues };
}
