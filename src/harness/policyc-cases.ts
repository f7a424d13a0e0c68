/**
 * policyc's own test cases (definePolicy `tests`): validated, resolved to admission requests,
 * and run on every selected engine. A case fails when an engine's verdict differs from the
 * expectation, and also when the engines disagree with each other.
 */
import path from "node:path";
import { z } from "zod";
import type { CompiledPolicy } from "../build/index.js";
import type { AdmissionRequest, KubeObject } from "../engines/request.js";
import { formatPath, issue, type Instance, type Issue } from "../ir/index.js";
import type { CaseObject, TestCase } from "../sdk/index.js";
import type { EngineVerdict, PolicyEngine } from "./engines.js";
import { depthProblem, FixtureError, readFixtures, type Fixture } from "./fixtures.js";
import type { ResultRow } from "./report.js";

const caseObject = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
const caseSchema = z.strictObject({
  name: z.string().min(1).optional(),
  resource: z.union([caseObject, z.array(caseObject).min(1)]),
  expect: z.enum(["allow", "deny", "skip"]),
  message: z.string().optional(),
  violations: z.number().int().min(1).optional(),
  instance: z.string().optional(),
  operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]).optional(),
  oldResource: caseObject.optional(),
  userInfo: z
    .strictObject({
      username: z.string().optional(),
      uid: z.string().optional(),
      groups: z.array(z.string()).optional(),
      extra: z.record(z.string(), z.array(z.string())).optional(),
    })
    .optional(),
  namespaces: z.array(caseObject).optional(),
  objects: z.array(caseObject).optional(),
  authorizer: z
    .array(
      z.strictObject({
        group: z.string().optional(),
        resource: z.string().optional(),
        subresource: z.string().optional(),
        namespace: z.string().optional(),
        name: z.string().optional(),
        verb: z.string().optional(),
        path: z.string().optional(),
        allowed: z.boolean(),
        reason: z.string().optional(),
      }),
    )
    .optional(),
});

export interface PolicycCase {
  readonly policy: CompiledPolicy;
  readonly index: number;
  readonly name: string;
  readonly test: TestCase;
  /** `policy/case`, what --filter matches and --shard splits on. */
  readonly id: string;
}

const describeObject = (o: CaseObject) =>
  typeof o === "string"
    ? o
    : `inline ${String(o.kind ?? "object")} ${String((o.metadata as { name?: unknown } | undefined)?.name ?? "")}`.trim();

function defaultName(t: TestCase): string {
  const rs = Array.isArray(t.resource) ? t.resource : [t.resource as CaseObject];
  return `${t.expect} ${rs.map(describeObject).join(", ")}${t.operation && t.operation !== "CREATE" ? ` on ${t.operation}` : ""}${t.instance ? ` (instance ${t.instance})` : ""}`;
}

/** The cases of every policy, validated. Issues point at `tests[i].field` of the definePolicy call. */
export function collectCases(policies: readonly CompiledPolicy[]): { cases: PolicycCase[]; issues: Issue[] } {
  const cases: PolicycCase[] = [];
  const issues: Issue[] = [];
  for (const policy of policies) {
    const names = new Set<string>();
    policy.tests.forEach((raw, index) => {
      const parsed = caseSchema.safeParse(raw);
      if (!parsed.success) {
        for (const e of parsed.error.issues) {
          issues.push(
            issue(
              "invalid_test_case",
              `tests[${index}]${e.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}: ${e.message}`,
              policy.policy.source,
              ["tests", index, ...(e.path as (string | number)[])],
            ),
          );
        }
        return;
      }
      const t = parsed.data as TestCase;
      if (t.instance && !policy.policy.instances.some((i) => i.name === t.instance)) {
        issues.push(
          issue(
            "invalid_test_case",
            `tests[${index}].instance: the policy has no instance named ${JSON.stringify(t.instance)}`,
            policy.policy.source,
            ["tests", index, "instance"],
          ),
        );
        return;
      }
      if (t.expect !== "deny" && (t.message !== undefined || t.violations !== undefined)) {
        issues.push(
          issue(
            "invalid_test_case",
            `tests[${index}]: message and violations describe a deny; this case expects ${t.expect}`,
            policy.policy.source,
            ["tests", index, "expect"],
          ),
        );
        return;
      }
      let name = t.name ?? defaultName(t);
      if (names.has(name)) name = `${name} #${index + 1}`;
      names.add(name);
      cases.push({ policy, index, name, test: t, id: `${policy.policy.name}/${name}` });
    });
  }
  return { cases, issues };
}

export interface ResolvedRequest {
  readonly resource: string;
  readonly request: AdmissionRequest;
}

/** Bad input behind one of a case's fields (a fixture it names): exit 2, at the case. */
export class CaseInputError extends Error {
  readonly field: readonly (string | number)[];

  constructor(
    readonly policycCase: PolicycCase,
    field: string,
    readonly fixture: FixtureError,
  ) {
    const path = ["tests", policycCase.index, field];
    super(`${formatPath(path)}: ${fixture.message}`);
    this.name = "CaseInputError";
    this.field = path;
  }

  /** At the policy's definePolicy call, since cases live there. */
  toIssue(): Issue {
    const source = this.policycCase.policy.policy.source;
    return { code: "invalid_test_case", message: this.message, severity: "error", ...(source ? { source } : {}), path: this.field };
  }
}

/** Fixture paths resolve against the policy file's folder. */
function objectsOf(c: PolicycCase, o: CaseObject, field: string, root: string): Fixture[] {
  if (typeof o !== "string") {
    const deep = depthProblem(o);
    if (deep) throw new CaseInputError(c, field, new FixtureError({ file: c.policy.file, message: `the inline object ${deep}` }));
    return [{ object: o as KubeObject, label: describeObject(o) }];
  }
  try {
    return readFixtures(path.resolve(root, path.dirname(c.policy.file), o), root);
  } catch (error) {
    if (error instanceof FixtureError) throw new CaseInputError(c, field, error);
    throw error;
  }
}

/** The requests a case describes: one per resource document. Throws CaseInputError (bad input). */
export function resolveCase(c: PolicycCase, root: string): { instance: Instance; requests: ResolvedRequest[] } {
  const t = c.test;
  const instance = (t.instance ? c.policy.policy.instances.find((i) => i.name === t.instance) : c.policy.policy.instances[0])!;
  const list = (Array.isArray(t.resource) ? t.resource : [t.resource]) as CaseObject[];
  const resources = list.flatMap((o) => objectsOf(c, o, "resource", root));
  const old = t.oldResource ? objectsOf(c, t.oldResource, "oldResource", root)[0]?.object : undefined;
  const namespaces = Object.fromEntries(
    (t.namespaces ?? [])
      .flatMap((o) => objectsOf(c, o, "namespaces", root))
      .map((f) => [String(f.object.metadata?.name ?? ""), f.object] as const),
  );
  const objects = (t.objects ?? []).flatMap((o) => objectsOf(c, o, "objects", root)).map((f) => f.object);
  const operation = t.operation ?? "CREATE";
  return {
    instance,
    requests: resources.map((f) => ({
      resource: f.label,
      request: {
        operation,
        ...(operation === "DELETE" ? { oldObject: old ?? f.object } : { object: f.object }),
        ...(operation === "UPDATE" && old ? { oldObject: old } : {}),
        ...(t.userInfo ? { userInfo: t.userInfo } : {}),
        cluster: { namespaces, objects },
        ...(t.authorizer ? { authorizer: t.authorizer } : {}),
      },
    })),
  };
}

/** Whether a verdict meets the case's expectation; the reason when it does not. */
export function judge(t: TestCase, v: EngineVerdict): string | undefined {
  const expected = t.expect === "skip" ? "none" : t.expect;
  if (v.verdict !== expected) {
    if (t.expect === "skip" && v.verdict !== "none") return "the policy applied; the case expects it not to";
    return v.verdict === "none" ? `the policy did not apply${v.reason ? ` (${v.reason})` : ""}` : `expected ${t.expect}, got ${v.verdict}`;
  }
  if (t.expect === "deny") {
    if (t.message !== undefined && !v.messages.some((m) => m.includes(t.message!)))
      return `no violation message contains ${JSON.stringify(t.message)}`;
    if (t.violations !== undefined && v.violations !== t.violations)
      return `expected ${t.violations} violation(s), got ${v.violations ?? 0}`;
  }
  return undefined;
}

/** Runs one case on the engines; rows per resource and engine. Returns whether engines disagreed. */
export function runPolicycCase(
  c: PolicycCase,
  engines: readonly PolicyEngine[],
  root: string,
): { rows: ResultRow[]; disagreements: number } {
  const { instance, requests } = resolveCase(c, root);
  const rows: ResultRow[] = [];
  let disagreements = 0;
  for (const { resource, request } of requests) {
    const verdicts = engines.map((e) => {
      try {
        return { engine: e, result: e.evaluate(c.policy, instance, request) };
      } catch (error) {
        return { engine: e, result: { verdict: "error", messages: [], reason: (error as Error).message } as EngineVerdict };
      }
    });
    const said = verdicts.flatMap((v) => ("skipped" in v.result ? [] : [`${v.engine.name}=${v.result.verdict}`]));
    const distinct = new Set(verdicts.flatMap((v) => ("skipped" in v.result || v.result.verdict === "error" ? [] : [v.result.verdict])));
    const disagree = distinct.size > 1;
    if (disagree) disagreements++;
    for (const { engine, result } of verdicts) {
      const base = {
        policy: c.policy.policy.name,
        case: c.name,
        resource,
        engine: engine.name,
        expected: c.test.expect,
        source: c.policy.file,
      };
      if ("skipped" in result) {
        rows.push({ ...base, rule: "", actual: "none", status: "skip", messages: [], reason: result.skipped });
        continue;
      }
      const mismatch = result.verdict === "error" ? `evaluation error: ${result.reason ?? "unknown"}` : judge(c.test, result);
      const reason = disagree ? `engines disagree: ${said.join(" ")}${mismatch ? `; ${mismatch}` : ""}` : mismatch;
      rows.push({
        ...base,
        rule: (result.rules ?? []).join(","),
        actual: result.verdict,
        status: result.verdict === "error" ? "error" : disagree || mismatch ? "fail" : "pass",
        messages: result.messages,
        ...(reason ? { reason } : {}),
        ...(result.enforcement ? { enforcement: result.enforcement } : {}),
      });
    }
  }
  return { rows, disagreements };
}
