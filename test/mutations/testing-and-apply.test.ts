import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { addDefaultSecuritycontext, addNamespaceLabelsToPods } from "../../src/library/index.js";
import { mutate, MutationDisagreementError, policycMatchers } from "../../src/testing/index.js";
import { cli, ROOT, tempDir } from "../support/helpers.js";

expect.extend(policycMatchers);
declare module "vitest" {
  interface Matchers<T> {
    toMutateTo(expected: Record<string, unknown>): T;
    toLeaveUnchanged(): T;
  }
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
`;

describe("policyc/testing: mutate() in vitest", () => {
  const security = addDefaultSecuritycontext();
  const bare = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "a" },
    spec: { containers: [{ name: "c", image: "nginx" }] },
  };

  it("answers the object every engine agrees on, and what changed", async () => {
    const r = await mutate(security, bare);
    expect(r.applied).toBe(true);
    expect(Object.keys(r.engines).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno", "reference"]);
    expect(r.changes).toContain('+ spec.securityContext: {"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}');
    expect(r).toMutateTo({
      ...bare,
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "c", image: "nginx", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
      },
    });
    expect(await mutate(security, r.object)).toLeaveUnchanged();
  }, 60_000);

  it("toMutateTo's failure message is the structural diff", async () => {
    const r = await mutate(security, bare);
    const failed = policycMatchers.toMutateTo(r, bare);
    expect(failed.pass).toBe(false);
    expect(failed.message()).toContain("+ spec.securityContext:");
  }, 60_000);

  it("reads a Namespace's labels for the mutations that copy them", async () => {
    const r = await mutate(addNamespaceLabelsToPods(), bare, {
      namespaces: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "a", labels: { team: "search" } } }],
    });
    expect(r.object.metadata).toMatchObject({ labels: { team: "search" } });
    // Gatekeeper is skipped by this mutation (its mutators cannot read the Namespace).
    expect(Object.keys(r.engines).sort()).toEqual(["kubernetes", "kyverno", "reference"]);
  }, 60_000);

  it("MutationDisagreementError names the engine and the field", () => {
    const e = new MutationDisagreementError({
      reference: { kind: "mutated", object: { a: 1 } },
      gatekeeper: { kind: "mutated", object: { a: 2 } },
    });
    expect(e.message).toContain("gatekeeper vs reference:\n~ a: 1 → 2");
  });
});

describe("policyc apply mutates before it validates", () => {
  const project = () => {
    const dir = tempDir("policyc-apply-mut-");
    mkdirSync(path.join(dir, "policies"));
    cpSync(path.join(ROOT, "policies", "pod-security-restricted.ts"), path.join(dir, "policies", "pod-security-restricted.ts"));
    cpSync(path.join(ROOT, "policies", "mutations"), path.join(dir, "policies", "mutations"), { recursive: true });
    writeFileSync(path.join(dir, "deploy.yaml"), DEPLOYMENT);
    return dir;
  };

  it("--mutate-out - prints a Deployment without a securityContext with the defaults set, and the Restricted policies pass on it", async () => {
    const dir = project();
    const r = await cli(["apply", "deploy.yaml", "--mutate-out", "-", "--reporter", "json=report.json"], dir);
    expect(r.code).toBe(0);
    const [mutated] = parseAllDocuments(r.out).map((d) => d.toJS()) as { spec: { template: { spec: Record<string, unknown> } } }[];
    expect(mutated!.spec.template.spec).toMatchObject({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        { name: "web", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }, imagePullPolicy: "Always" },
      ],
    });
    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")) as {
      summary: { failed: number; disagreements: number };
      results: { policy: string; engine: string; status: string; rule: string; messages: string[] }[];
    };
    expect(report.summary).toMatchObject({ failed: 0, disagreements: 0 });
    const validations = report.results.filter((x) => x.rule !== "mutation");
    expect(new Set(validations.map((x) => x.policy))).toContain("restrict-seccomp-strict");
    expect(validations.every((x) => x.status === "pass")).toBe(true);
    const changed = report.results.filter((x) => x.rule === "mutation" && x.policy === "add-default-securitycontext");
    expect(changed.map((x) => x.engine).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno", "reference"]);
    expect(changed[0]!.messages.join("\n")).toContain("spec.template.spec.securityContext");
  }, 120_000);

  it("--no-mutate validates the manifest as written: the Restricted policies deny it", async () => {
    const dir = project();
    const r = await cli(["apply", "deploy.yaml", "--no-mutate"], dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("restrict-seccomp-strict");
  }, 120_000);

  it("--mutate-out DIR writes each input file's manifests, mutated, at its relative path", async () => {
    const dir = project();
    const r = await cli(["apply", "deploy.yaml", "--mutate-out", "out"], dir);
    expect(r.code).toBe(0);
    const written = readFileSync(path.join(dir, "out", "deploy.yaml"), "utf8");
    expect(written).toContain("runAsNonRoot: true");
  }, 120_000);
});
