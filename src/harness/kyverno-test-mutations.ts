/**
 * Kyverno CLI test rows of mutating policies (`isMutatingPolicy`, `isMutatingAdmissionPolicy`,
 * or a row naming a MutatingPolicy or MutatingAdmissionPolicy of the test): the resource is
 * mutated on the engine of its kind, and, as the Kyverno CLI checks it, the result is `pass` when
 * the policy applied (`skip` when it did not match); with `patchedResources`, the object of the
 * same apiVersion, kind, namespace and name in that file (relative to the test) must equal the
 * mutated one, or the row fails with the structural diff. A row expecting `fail` passes when the
 * check fails, as in the CLI.
 */
import path from "node:path";
import type { EngineName, MutationAnswer, MutationEngine } from "../engines/index.js";
import type { KubeObject } from "../kube/index.js";
import { canonicalJson } from "./compose.js";
import { readFixtures } from "./fixtures.js";
import { objectDiff, withoutNulls } from "./mutation-cases.js";
import type { ResultRow } from "./report.js";

/** What a mutating row is checked with. */
export interface MutatingRow {
  readonly base: Omit<ResultRow, "resource" | "actual" | "status" | "messages" | "cause" | "engine">;
  readonly policy: string;
  readonly expected: string;
  readonly patched?: string;
  readonly dir: string;
  readonly root: string;
}

/** The engine that holds a mutating policy of this name: Kyverno's MutatingPolicy, else a MutatingAdmissionPolicy. */
export function mutatingEngineOf(engines: readonly MutationEngine[], name: string, mapOnly: boolean): MutationEngine | undefined {
  const kyverno = engines.find((e) => e.name === "kyverno" && e.has(name));
  const kubernetes = engines.find((e) => e.name === "kubernetes" && e.has(name));
  return mapOnly ? kubernetes : (kyverno ?? kubernetes);
}

/** The expected object of `patchedResources`: the document of the actual object's identity. */
function expectedObject(row: MutatingRow, actual: KubeObject): KubeObject | string {
  const r = readFixtures(path.resolve(row.dir, row.patched!), row.root);
  if (!r.ok) return r.issue.message;
  const same = (o: KubeObject) =>
    o.apiVersion === actual.apiVersion &&
    o.kind === actual.kind &&
    (o.metadata?.namespace ?? "default") === (actual.metadata?.namespace ?? "default") &&
    o.metadata?.name === actual.metadata?.name;
  const found = r.value.find((f) => same(f.object));
  if (!found) return `no ${String(actual.kind)} ${String(actual.metadata?.name)} in ${row.patched}`;
  // A namespaced object written without a namespace is in `default`, as the test's resources are.
  const o = withoutNulls(found.object);
  return o.metadata?.namespace || !actual.metadata?.namespace
    ? o
    : { ...o, metadata: { ...o.metadata, namespace: actual.metadata.namespace } };
}

/** A value without nulls and without maps or lists left empty (the Kyverno CLI's resource.Tidy). */
function tidy(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(tidy).filter((x) => x !== undefined);
    return out.length ? out : undefined;
  }
  if (v && typeof v === "object") {
    const out = Object.fromEntries(
      Object.entries(v)
        .map(([k, x]) => [k, tidy(x)] as const)
        .filter(([, x]) => x !== undefined),
    );
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/** One resource of a mutating row, judged. */
export function mutatingResultRow(
  row: MutatingRow,
  engine: MutationEngine,
  resource: KubeObject,
  label: string,
  answer: MutationAnswer,
): ResultRow {
  const actual = answer.kind === "mutated" ? "pass" : answer.kind === "skip" ? "skip" : "error";
  const base = { ...row.base, resource: label, engine: engine.name as EngineName, actual };
  if (answer.kind === "error")
    return {
      ...base,
      status: "error",
      messages: [answer.message],
      cause: { kind: "error", code: "evaluation_error", detail: answer.message },
    };
  let problem: string | undefined;
  if (row.patched !== undefined && answer.kind === "mutated") {
    const want = expectedObject(row, answer.object as KubeObject);
    // Compared as the CLI compares them (resource.Compare with tidy): empty maps and lists, and
    // nulls, left out on both sides.
    if (typeof want === "string") problem = want;
    else if (canonicalJson(tidy(want)) !== canonicalJson(tidy(answer.object)))
      problem = `the patched resource differs from ${row.patched} (expected → actual):\n${objectDiff(tidy(want), tidy(answer.object)).join("\n")}`;
  }
  const ok = problem === undefined && (row.expected === "fail" ? true : actual === row.expected);
  const success = row.expected === "fail" ? problem !== undefined : ok;
  const messages = answer.kind === "mutated" ? objectDiff(withoutNulls(resource), answer.object) : [];
  if (success) return { ...base, status: "pass", messages };
  const detail =
    problem ?? (row.expected === "fail" ? "the patched resource matches; the row expects fail" : `expected ${row.expected}, got ${actual}`);
  return { ...base, status: "fail", messages, cause: { kind: "mismatch", detail } };
}
