/** Existing Kyverno CLI test folders (kyverno-test.yaml), run unchanged on the CEL engine. */
import { describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../../src/cli/index.js";
import { cli, copyWithEdits, reportRows } from "../support/helpers.js";

const rows = reportRows;

describe("Kyverno CLI tests", () => {
  it("ValidatingPolicy rows by policy name and resource kind, autogen for Deployments, messageExpression", async () => {
    const r = await cli(["test", "test/kyverno/validating-policy", "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.expected, x.actual, x.status])).toEqual([
      ["disallow-latest-tag", "Pod/default/good-pod", "pass", "pass", "pass"],
      ["disallow-latest-tag", "Pod/default/bad-pod", "fail", "fail", "pass"],
      ["disallow-latest-tag", "Deployment/default/bad-deployment", "fail", "fail", "pass"],
      ["disallow-latest-tag", "ConfigMap/default/settings", "skip", "skip", "pass"],
    ]);
    expect(rows(r.out)[1]!.messages).toEqual(["images must not use :latest: nginx:latest"]);
  });

  it("a test in a hidden .kyverno-test folder (the Kyverno policy library's layout) is found, as the CLI finds it; .git is not walked", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "policyc-hidden-"));
    cpSync("test/kyverno/validating-policy", path.join(root, "disallow-latest-tag", ".kyverno-test"), { recursive: true });
    cpSync("test/kyverno/validating-policy", path.join(root, ".git", "copy"), { recursive: true });
    const r = await cli(["test", root, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => x.resource)).toEqual([
      "Pod/default/good-pod",
      "Pod/default/bad-pod",
      "Deployment/default/bad-deployment",
      "ConfigMap/default/settings",
    ]);
  });

  it("a resource's numbers are doubles, as the CLI converts them before any policy reads them: / 2.0 works, % 2 is an error", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "policyc-doubles-"));
    const policy = (name: string, expression: string) =>
      [
        "apiVersion: admissionregistration.k8s.io/v1",
        "kind: ValidatingAdmissionPolicy",
        `metadata: {name: ${name}}`,
        "spec:",
        "  matchConstraints:",
        "    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]",
        `  validations: [{expression: '${expression}'}]`,
      ].join("\n");
    writeFileSync(
      path.join(dir, "policies.yaml"),
      [policy("half", "object.spec.replicas / 2.0 <= 2.0"), policy("even", "object.spec.replicas % 2 == 0")].join("\n---\n"),
    );
    writeFileSync(
      path.join(dir, "deployment.yaml"),
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 4, selector: {}, template: {}}\n",
    );
    writeFileSync(
      path.join(dir, "kyverno-test.yaml"),
      [
        "apiVersion: cli.kyverno.io/v1alpha1",
        "kind: Test",
        "metadata: {name: doubles}",
        "policies: [policies.yaml]",
        "resources: [deployment.yaml]",
        "results:",
        "  - {policy: half, isValidatingAdmissionPolicy: true, kind: Deployment, resources: [web], result: pass}",
        "  - {policy: even, isValidatingAdmissionPolicy: true, kind: Deployment, resources: [web], result: error}",
        "",
      ].join("\n"),
    );
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.actual])).toEqual([
      ["half", "pass"],
      ["even", "error"],
    ]);
  });

  it("a resource given twice (the same file listed twice, or the same kind, namespace and name) is judged once, the first, as the CLI dedupes", async () => {
    const dir = copyWithEdits("test/kyverno/validating-policy");
    const test = path.join(dir, "kyverno-test.yaml");
    writeFileSync(test, readFileSync(test, "utf8").replace(/^resources:\n(\s+- )(\S+)\n/m, "resources:\n$1$2\n$1$2\n"));
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out)).toHaveLength(4);
  });

  it("a resource file with no document (empty, or a Helm template rendered to comments) holds no resources, as the CLI reads it", async () => {
    const dir = copyWithEdits("test/kyverno/validating-policy");
    writeFileSync(path.join(dir, "disabled.yaml"), "---\n# Source: chart/templates/disabled.yaml\n---\n");
    writeFileSync(path.join(dir, "empty.yaml"), "");
    const test = path.join(dir, "kyverno-test.yaml");
    writeFileSync(test, readFileSync(test, "utf8").replace(/^resources:\n/m, "resources:\n  - disabled.yaml\n  - empty.yaml\n"));
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out)).toHaveLength(4);
    // A policy file with no document is still an error: a test of nothing.
    writeFileSync(test, readFileSync(test, "utf8").replace(/^policies:\n/m, "policies:\n  - empty.yaml\n"));
    const bad = await cli(["test", dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/empty\.yaml .*the file holds no YAML document/);
  });

  it("oldResources: an UPDATE row's resource is the new object, the one of the same kind, namespace and name the old", async () => {
    const r = await cli(["test", "test/kyverno/old-resources", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.resource, x.actual, x.status, x.messages])).toEqual([
      ["Deployment/shop/web", "pass", "pass", []],
      ["Deployment/shop/api", "fail", "pass", ["the team label cannot change (was checkout)"]],
      ["Deployment/shop/worker", "pass", "pass", []],
      ["Deployment/shop/api", "skip", "pass", []],
    ]);
    // Without oldResources there is no old object: the label change is not seen.
    const dir = copyWithEdits("test/kyverno/old-resources");
    const test = path.join(dir, "kyverno-test.yaml");
    writeFileSync(test, readFileSync(test, "utf8").replace("oldResources:\n  - old-deployments.yaml\n", ""));
    const without = await cli(["test", dir, "--reporter", "json"]);
    expect(rows(without.out)[1]!.actual).toBe("pass");
  });

  it("PolicyExceptions with images or allowedValues do not exempt: ValidatingPolicies and MutatingPolicies read them as exceptions.allowedImages/allowedValues", async () => {
    const r = await cli(["test", "test/kyverno/exception-values", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    const of = (policy: string) => rows(r.out).filter((x) => x.policy === policy);
    // A MutatingPolicy reads them as well; an exception allowing nothing exempts it (skip).
    expect(of("record-allowed-tiers").map((x) => [x.resource, x.actual, x.status])).toEqual([
      ["Pod/default/web", "pass", "pass"],
      ["Pod/legacy/old-reports", "pass", "pass"],
      ["Pod/default/debug", "skip", "pass"],
    ]);
    expect(of("pinned-images-and-tiers").map((x) => [x.resource, x.actual, x.messages])).toEqual([
      ["Pod/default/web", "pass", []],
      // The legacy exception allows its image and the batch tier.
      ["Pod/legacy/old-reports", "pass", []],
      ["Pod/default/latest", "fail", ["images must be pinned (allowed: )"]],
      // Matched by the same exception, but its image is not the one allowed: evaluated, not exempt.
      ["Pod/legacy/cache", "fail", ["images must be pinned (allowed: registry.example.com/reports:latest)"]],
      // An exception with no values exempts, as before.
      ["Pod/default/debug", "skip", []],
    ]);
  });

  it("clusterResources: a ClusterResource gives its objects and its CRD files, a plain file its objects", async () => {
    const r = await cli(["test", "test/kyverno/cluster-resources", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    // Widgets are cluster-scoped by their CRD: not put in a namespace.
    expect(rows(r.out).map((x) => [x.resource, x.actual, x.status, x.messages])).toEqual([
      ["Widget/small-red", "pass", "pass", []],
      ["Widget/big-red", "fail", "pass", ["widget too big"]],
      ["Widget/small-green", "fail", "pass", ["colour not allowed"]],
    ]);
    // Without the CRD file, the first validation fails: the CRDs are objects of the cluster.
    const dir = copyWithEdits("test/kyverno/cluster-resources");
    writeFileSync(
      path.join(dir, "cluster.yaml"),
      readFileSync(path.join(dir, "cluster.yaml"), "utf8").replace("  crds:\n    - crds/widget.yaml\n", ""),
    );
    const without = await cli(["test", dir, "--reporter", "json"]);
    expect(rows(without.out)[0]!.messages).toEqual(["widgets need their CRD in the cluster"]);
    // A field the CLI's ClusterResource does not have: located.
    writeFileSync(
      path.join(dir, "cluster.yaml"),
      readFileSync(path.join(dir, "cluster.yaml"), "utf8").replace("spec:\n", "spec:\n  objects: []\n"),
    );
    const bad = await cli(["test", dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cluster\.yaml:6:\d+ invalid_suite objects is not a field of the Kyverno CLI's ClusterResource/);
  });

  it("ClusterPolicy validate.cel rules by rule name, autogen-… included (the older layout)", async () => {
    const r = await cli(["test", "test/kyverno/cluster-policy-cel", "--reporter", "json"]);
    expect(r.code).toBe(0);
    const got = rows(r.out).map((x) => [x.rule, x.resource, x.expected, x.actual, x.status]);
    expect(got).toEqual([
      ["check-deployment-replicas", "Deployment/shop/small", "pass", "pass", "pass"],
      ["check-deployment-replicas", "Deployment/shop/big", "fail", "fail", "pass"],
      ["host-network", "Pod/shop/host-pod", "fail", "fail", "pass"],
      ["host-network", "Pod/shop/unlabelled-host-pod", "skip", "skip", "pass"],
      ["host-network", "Pod/kube-system/system-pod", "skip", "skip", "pass"],
      ["autogen-host-network", "Deployment/shop/big", "fail", "fail", "pass"],
    ]);
    expect(rows(r.out)[2]!.messages).toEqual(["hostNetwork is not allowed for host-pod"]);
  });

  it("autogen as Kyverno does it: on by default for Pod-only ValidatingPolicies, narrowed or off by autogen.podControllers, off for mixed kinds; ClusterPolicy autogen-/autogen-cronjob- rules, off by annotation", async () => {
    const r = await cli(["test", "test/kyverno/autogen", "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.rule, x.resource, x.actual])).toEqual([
      ["disallow-host-namespaces", "", "Pod/apps/host-pid-pod", "fail"],
      ["disallow-host-namespaces", "", "Deployment/apps/host-pid-deployment", "fail"],
      ["disallow-host-namespaces", "", "StatefulSet/apps/clean-statefulset", "pass"],
      ["disallow-host-namespaces", "", "CronJob/apps/host-ipc-cronjob", "fail"],
      ["host-namespaces-pods-only", "", "Pod/apps/host-pid-pod", "fail"],
      ["host-namespaces-pods-only", "", "Deployment/apps/host-pid-deployment", "skip"],
      ["host-namespaces-cronjobs", "", "Deployment/apps/host-pid-deployment", "skip"],
      ["host-namespaces-cronjobs", "", "CronJob/apps/host-ipc-cronjob", "fail"],
      ["host-namespaces-mixed", "", "Deployment/apps/host-pid-deployment", "pass"],
      ["restrict-seccomp", "check-seccomp", "Pod/apps/host-pid-pod", "fail"],
      ["restrict-seccomp", "check-seccomp", "Deployment/apps/host-pid-deployment", "fail"],
      ["restrict-seccomp", "autogen-check-seccomp", "Deployment/apps/host-pid-deployment", "fail"],
      ["restrict-seccomp", "autogen-cronjob-check-seccomp", "CronJob/apps/host-ipc-cronjob", "fail"],
      ["restrict-seccomp-pods-only", "check-seccomp", "Pod/apps/host-pid-pod", "fail"],
      ["restrict-seccomp-pods-only", "check-seccomp", "Deployment/apps/host-pid-deployment", "skip"],
      ["restrict-seccomp-mixed", "check-seccomp", "Deployment/apps/host-pid-deployment", "pass"],
    ]);
    expect(rows(r.out).every((x) => x.status === "pass")).toBe(true);
  });

  it("a row expecting fail where autogen is off is skipped, as the Kyverno CLI counts it: nothing applied is never a fail", async () => {
    const dir = copyWithEdits("test/kyverno/autogen");
    const test = path.join(dir, "kyverno-test.yaml");
    writeFileSync(
      test,
      readFileSync(test, "utf8").replace(
        "{policy: host-namespaces-pods-only, isValidatingPolicy: true, kind: Deployment, resources: [host-pid-deployment], result: skip}",
        "{policy: host-namespaces-pods-only, isValidatingPolicy: true, kind: Deployment, resources: [host-pid-deployment], result: fail}",
      ),
    );
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(0);
    const row = rows(r.out).find((x) => x.policy === "host-namespaces-pods-only" && x.resource.startsWith("Deployment/"))!;
    expect([row.expected, row.actual, row.status]).toEqual(["fail", "skip", "skip"]);
    expect(row.reason).toBe("expected fail, but no rule applies to the resource: the Kyverno CLI counts the row as skipped, not failed");
    // The pretty report shows it, where a run whose rows all pass prints none.
    const pretty = await cli(["test", dir]);
    expect(pretty.out).toMatch(
      /SKIP host-namespaces-pods-only\n.*- results\[\d+\] \[Deployment\/apps\/host-pid-deployment\] +expected fail, got kyverno=skip/,
    );
    expect(pretty.out).not.toContain("every case passed");
  });

  it("a namespaced resource without a namespace is in default: rows name it default/name, request.namespace, namespaceObject and selectors see default", async () => {
    const r = await cli(["test", "test/kyverno/default-namespace", "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.actual, x.status])).toEqual([
      ["disallow-default-namespace", "Pod/default/stray-pod", "fail", "pass"],
      ["disallow-default-namespace", "Pod/default/stray-pod", "fail", "pass"],
      ["disallow-default-namespace", "Pod/payments/team-pod", "pass", "pass"],
      ["disallow-default-namespace", "ConfigMap/default/app-settings", "fail", "pass"],
      ["disallow-default-namespace", "ClusterRole/read-pods", "pass", "pass"],
      ["namespace-owned-by-a-team", "Pod/default/stray-pod", "fail", "pass"],
      ["namespace-owned-by-a-team", "Pod/payments/team-pod", "pass", "pass"],
      ["sandbox-images", "Pod/default/stray-pod", "fail", "pass"],
      ["default-namespace-configmaps", "ConfigMap/default/app-settings", "fail", "pass"],
    ]);
    expect(rows(r.out)[5]!.messages).toEqual(["namespace default has no team label"]);
  });

  it("CEL evaluation errors get the Kyverno CLI's results: ValidatingPolicy error (match conditions per failurePolicy), ClusterPolicy validate.cel fail", async () => {
    const r = await cli(["test", "test/kyverno/evaluation-errors", "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.rule, x.actual, x.status])).toEqual([
      ["missing-key-fail", "", "error", "pass"],
      ["missing-key-ignore", "", "error", "pass"],
      ["no-such-overload", "", "error", "pass"],
      ["variable-error", "", "error", "pass"],
      ["first-failure-wins", "", "fail", "pass"],
      ["condition-error-ignore", "", "skip", "pass"],
      ["condition-error-fail", "", "error", "pass"],
      ["legacy-errors", "missing-key", "fail", "pass"],
      ["legacy-errors", "precondition-error", "fail", "pass"],
    ]);
    expect(rows(r.out)[4]!.messages).toEqual(["names start with web-"]);
    expect(rows(r.out)[7]!.messages[0]).toMatch(/no such key: runtimeClassName/);
  });

  it("orValue and or on a value that is not an optional give it back, as in Kyverno's CLI (cel-go before v0.28); optionals keep their defaults", async () => {
    const r = await cli(["test", "test/kyverno/optional-values", "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.actual, x.status])).toEqual([
      ["seccomp-strict", "Pod/default/localhost", "pass", "pass"],
      ["seccomp-strict", "Pod/default/unconfined-init", "fail", "pass"],
      ["seccomp-strict", "Deployment/default/unconfined", "fail", "pass"],
      ["seccomp-strict", "CronJob/default/runtime-default", "pass", "pass"],
      ["team-label", "Pod/default/localhost", "pass", "pass"],
      ["team-label", "Pod/default/unconfined-init", "fail", "pass"],
    ]);
  });

  it("a row expecting error never passes on what policyc cannot evaluate", async () => {
    const dir = copyWithEdits("test/kyverno/unsupported-constructs");
    const test = path.join(dir, "kyverno-test.yaml");
    writeFileSync(test, readFileSync(test, "utf8").replace(/result: \w+/g, "result: error"));
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    expect(rows(r.out).map((x) => x.status)).toEqual(["error", "error"]);
  });

  it("Kyverno 1.14's context.* spellings answer as resource.*; a misspelled library function is bad input naming it and the library's functions", async () => {
    const reference = await cli(["test", "test/kyverno/cel-libraries", "--reporter", "json"]);
    const dir = copyWithEdits("test/kyverno/cel-libraries");
    const policy = path.join(dir, "policy.yaml");
    const text = readFileSync(policy, "utf8");
    const get = 'resource.Get("v1", "configmaps", "kube-system", "allowed-registry")';
    expect(text).toContain(get);
    writeFileSync(policy, text.replace(get, 'context.GetConfigMap("kube-system", "allowed-registry")'));
    const r = await cli(["test", dir, "--reporter", "json"]);
    const verdicts = (out: string) => rows(out).map((x) => [x.policy, x.resource, x.actual, x.messages]);
    expect(verdicts(r.out)).toEqual(verdicts(reference.out));
    expect(
      verdicts(r.out)
        .filter((x) => x[0] === "restrict-image-registries")
        .map((x) => x[2]),
    ).toContain("fail");
    writeFileSync(policy, text.replace(get, get.replace("resource.Get", "resource.get")));
    const bad = await cli(["test", dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /policy\.yaml:\d+:\d+ invalid_suite ValidatingPolicy restrict-image-registries: unknown function resource\.get \(Kyverno's resource functions: resource\.Get, resource\.List, resource\.Post\)/,
    );
  });

  it("the Kyverno CLI's options: --test-case-selector, --detailed-results, --fail-only, --remove-color", async () => {
    const r = await cli([
      "test",
      "test/kyverno/autogen",
      "--test-case-selector",
      "policy=restrict-seccomp,rule=check-seccomp,resource=host-pid-deployment",
      "--reporter",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.rule, x.resource])).toEqual([
      ["check-seccomp", "Deployment/apps/host-pid-deployment"],
      ["autogen-check-seccomp", "Deployment/apps/host-pid-deployment"],
    ]);
    // On a terminal the report is coloured unless --remove-color (or --no-color) says otherwise.
    const onTerminal = async (...flags: string[]) => {
      let out = "";
      delete process.env.NO_COLOR;
      const code = await runCli(["test", "test/kyverno/autogen", "--detailed-results", "--fail-only", ...flags], {
        out: (x) => (out += x),
        err: () => {},
        cwd: process.cwd(),
        isTTY: true,
        outIsTTY: true,
      });
      return { code, out };
    };
    const coloured = await onTerminal();
    expect(coloured.code).toBe(0);
    expect(coloured.out).toContain("\u001b[");
    const plain = await onTerminal("--remove-color");
    expect(plain.out).toContain("✓ results[0] [Pod/apps/host-pid-pod]");
    expect(plain.out).not.toContain("\u001b[");
    const bad = await cli(["test", "test/kyverno/autogen", "--test-case-selector", "policy"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--test-case-selector takes policy=NAME,rule=NAME,resource=NAME");
  });

  it("pattern and mutate rules are error rows naming the construct, never a pass", async () => {
    const r = await cli(["test", "test/kyverno/unsupported-constructs", "--reporter", "json"]);
    expect(r.code).toBe(1);
    expect(rows(r.out).map((x) => [x.rule, x.actual, x.status])).toEqual([
      ["require-image-tag", "error", "error"],
      ["add-label", "error", "error"],
    ]);
    expect(rows(r.out)[0]!.reason).toMatch(/validate\.pattern, which policyc does not evaluate/);
    expect(rows(r.out)[1]!.reason).toMatch(/uses mutate/);
  });

  it("the Kubernetes documentation's VAP with params, matchConditions, messageExpression and a binding namespaceSelector", async () => {
    const r = await cli(["test", "test/kyverno/vap-params", "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => [x.engine, x.resource, x.actual])).toEqual([
      ["kubernetes", "Deployment/test-ns/within-limit", "pass"],
      ["kubernetes", "Deployment/test-ns/over-limit", "fail"],
      ["kubernetes", "Deployment/prod-ns/prod-app", "skip"],
    ]);
    expect(rows(r.out)[1]!.messages).toEqual(["object.spec.replicas must be no greater than 3"]);
  });

  it("a row expecting fail for a resource no rule applied to is skipped, as in the Kyverno CLI; a run whose rows are all skipped judged nothing and fails", async () => {
    const failing = (t: string) => t.replace(/kind: ConfigMap\n {4}result: skip/, "kind: ConfigMap\n    result: fail");
    const r = await cli(["test", copyWithEdits("test/kyverno/validating-policy", { "kyverno-test.yaml": failing }), "--reporter", "json"]);
    expect(r.code).toBe(0);
    expect(rows(r.out).at(-1)).toMatchObject({ expected: "fail", actual: "skip", status: "skip" });
    // Only that row left: every row skipped, nothing judged.
    const only =
      "results:\n  - {policy: disallow-latest-tag, isValidatingPolicy: true, resources: [settings], kind: ConfigMap, result: fail}\n";
    const dir = copyWithEdits("test/kyverno/validating-policy", { "kyverno-test.yaml": (t) => t.replace(/results:[\s\S]*$/, only) });
    const alone = await cli(["test", dir, "--reporter", "json"]);
    expect(rows(alone.out).map((x) => x.status)).toEqual(["skip"]);
    expect(alone.code).toBe(1);
    expect(alone.err).toMatch(/every row was skipped/);
  });

  it("Kyverno's CEL libraries: resource.Get from the context file, image(), parseImageReference(), parseServiceAccount(); http refused", async () => {
    const r = await cli(["test", "test/kyverno/cel-libraries", "--reporter", "json"]);
    const got = rows(r.out).map((x) => [x.policy, x.resource, x.expected, x.actual, x.status]);
    expect(got).toEqual([
      ["restrict-image-registries", "Pod/apps/pinned", "pass", "pass", "pass"],
      ["restrict-image-registries", "Pod/apps/unpinned", "fail", "fail", "pass"],
      ["restrict-image-registries", "Pod/apps/dockerhub", "fail", "fail", "pass"],
      ["restrict-pod-creation", "Pod/apps/pinned", "pass", "pass", "pass"],
      ["vpol-http-get", "Pod/apps/pinned", "pass", "error", "error"],
    ]);
    expect(rows(r.out)[1]!.messages).toEqual(["images must be specified using a digest"]);
    expect(rows(r.out)[2]!.messages).toEqual(["image must be from registry: ghcr.io"]);
    expect(rows(r.out)[4]!.reason).toMatch(/http\.Get\(.*\): no HTTP stubs in the test's context; policyc tests make no network calls/);
    expect(r.code).toBe(1);
  });

  it("Kyverno's CEL libraries answer from the Context file (images, globalContext, http stubs, resources) and transform data (JSON, YAML, time, x509, base64, hashes, math, listObjToMap)", async () => {
    const r = await cli(["test", "test/kyverno/cel-libraries-context", "--reporter", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out).map((x) => [x.policy, x.resource, x.actual, x.status])).toEqual([
      ["image-architecture", "Pod/payments/payments-app", "pass", "pass"],
      ["image-architecture", "Pod/search/search-app", "fail", "pass"],
      ["image-architecture", "Pod/payments/unknown-image", "error", "pass"],
      ["allowed-teams", "Pod/payments/payments-app", "pass", "pass"],
      ["allowed-teams", "Pod/search/search-app", "fail", "pass"],
      ["approved-configuration", "Deployment/payments/approved", "pass", "pass"],
      ["approved-configuration", "Deployment/payments/unapproved", "fail", "pass"],
      ["webhook-certificate-lifetime", "ValidatingWebhookConfiguration/long-lived", "pass", "pass"],
      ["webhook-certificate-lifetime", "ValidatingWebhookConfiguration/expiring", "fail", "pass"],
      ["one-frontend-per-namespace", "Pod/web/second-frontend", "fail", "pass"],
      ["one-frontend-per-namespace", "Pod/shop/first-frontend", "pass", "pass"],
    ]);
    const messages = rows(r.out).map((x) => x.messages);
    expect(messages[1]).toEqual(["image architecture arm64 is not supported"]);
    expect(messages[4]).toEqual(["the inventory does not know the team"]);
    expect(messages[8]).toEqual(["certificate of short.policyc-test.svc expires within a week"]);
  });

  it("image data the Context file does not hold is an error naming the image", async () => {
    const dir = copyWithEdits("test/kyverno/cel-libraries-context");
    const test = path.join(dir, "kyverno-test.yaml");
    writeFileSync(
      test,
      readFileSync(test, "utf8").replace("resources: [unknown-image], result: error}", "resources: [unknown-image], result: pass}"),
    );
    const r = await cli(["test", dir, "--reporter", "json"]);
    expect(r.code).toBe(1);
    const row = rows(r.out).find((x) => x.resource === "Pod/payments/unknown-image")!;
    expect(row.status).toBe("error");
    expect(row.reason).toMatch(/image data for registry\.example\.com\/not-in-context:1\.0 not found in the test's context/);
  });

  it("a function nothing provides is an error naming it (exit 2)", async () => {
    const dir = copyWithEdits("test/kyverno/validating-policy", {
      "policy.yaml": (t) => t.replace("object.spec.containers.map(c, c.image)", "object.spec.containers.map(c, sha512(c.image))"),
    });
    const r = await cli(["test", dir]);
    expect(r.code).toBe(2);
    // Located at the expression's line in the policy file, with its field path.
    expect(r.err).toMatch(
      /policy\.yaml:\d+:\d+ invalid_suite ValidatingPolicy disallow-latest-tag: .*undeclared reference to 'sha512'[\s\S]*\(at spec\.variables\[0\]\.expression\)/,
    );
  });
});
