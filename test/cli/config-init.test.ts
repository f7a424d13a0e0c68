/**
 * The project configuration (policyc.config.ts / .json, defineConfig) and flag precedence over it;
 * `policyc init` and the project it scaffolds.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "../support/helpers.js";

/** A project with the starter policies and one manifest. */
function project(): string {
  const dir = tempDir();
  cpSync(path.join(ROOT, "test/starter"), path.join(dir, "rules"), { recursive: true });
  writeFileSync(
    path.join(dir, "pod.yaml"),
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n    - name: app\n      image: nginx\n      securityContext: {privileged: true}\n",
  );
  return dir;
}

describe("policyc.config.ts", () => {
  it("holds what command lines would repeat: policies, out, targets, engines, reporters, apply inputs", async () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "policyc.config.ts"),
      `import { defineConfig } from "policyc";\n\nexport default defineConfig({\n  policies: "rules",\n  out: "dist-policies",\n  targets: ["kyverno"],\n  engines: ["reference", "kyverno"],\n  reporters: ["json"],\n  apply: { inputs: ["pod.yaml"] },\n});\n`,
    );
    const build = await cli(["build"], dir);
    expect(build.code, build.err).toBe(0);
    expect(existsSync(path.join(dir, "dist-policies/kyverno"))).toBe(true);
    expect(existsSync(path.join(dir, "dist-policies/gatekeeper"))).toBe(false);
    const test = await cli(["test"], dir);
    expect(test.code, test.err).toBe(0);
    const engines = new Set((JSON.parse(test.out) as { results: { engine: string }[] }).results.map((r) => r.engine));
    expect(engines).toEqual(new Set(["reference", "kyverno"]));
    const apply = await cli(["apply"], dir);
    expect(apply.code).toBe(1);
    expect((JSON.parse(apply.out) as { results: { resource: string; status: string }[] }).results.map((r) => r.resource)).toContain(
      "Pod/shop/p",
    );
  });

  it("flags override it", async () => {
    const dir = project();
    writeFileSync(
      path.join(dir, "policyc.config.json"),
      JSON.stringify({ policies: "rules", engines: ["reference"], reporters: ["json"] }),
    );
    const r = await cli(["test", "--engine", "kyverno", "--reporter", "pretty", "-v"], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("got kyverno=deny");
    expect(r.out).not.toContain("reference=");
    const out = await cli(["build", "--out", "elsewhere"], dir);
    expect(out.code, out.err).toBe(0);
    expect(existsSync(path.join(dir, "elsewhere"))).toBe(true);
  });

  it("a configuration that does not fit is bad input, naming the file, line and field", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "policyc.config.json"), '{\n  "policies": "rules",\n  "targets": ["kyverno", "flux"]\n}\n');
    const r = await cli(["build"], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^policyc\.config\.json:3:26 invalid_config Invalid option: expected one of "kyverno"\|"kubernetes"\|"gatekeeper" \(at targets\[1\]\)$/m,
    );
    writeFileSync(path.join(dir, "policyc.config.json"), "{}");
    writeFileSync(path.join(dir, "policyc.config.ts"), "export default {};\n");
    const both = await cli(["test"], dir);
    expect(both.code).toBe(2);
    expect(both.err).toContain("several configuration files");
  });
});

describe("policyc init", () => {
  it("scaffolds a project whose build, test and apply pass, and never overwrites a file", async () => {
    const dir = tempDir();
    const init = await cli(["init"], dir);
    expect(init.code, init.err).toBe(0);
    for (const f of [
      "policyc.config.ts",
      "policies/require-team-label.ts",
      "test/require-team-label.test.ts",
      ".github/workflows/policyc.yml",
      "deploy/web.yaml",
    ])
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    const workflow = readFileSync(path.join(dir, ".github/workflows/policyc.yml"), "utf8");
    for (const step of ["policyc build --check", "policyc test", "policyc apply", "~/.cache/policyc"]) expect(workflow).toContain(step);
    const build = await cli(["build"], dir);
    expect(build.code, build.err).toBe(0);
    expect((await cli(["build", "--check"], dir)).code).toBe(0);
    const test = await cli(["test"], dir);
    expect(test.code, test.err).toBe(0);
    expect(test.out).toMatch(/OK {2}2 cases, 8 evaluations: 8 passed/);
    const apply = await cli(["apply"], dir);
    expect(apply.code, apply.err).toBe(0);
    expect(apply.out).toMatch(/OK {2}1 resources, 4 evaluations: 4 passed/);
    const again = await cli(["init"], dir);
    expect(again.code).toBe(2);
    expect(again.err).toContain("these files exist already; nothing was written");
  });

  it("never writes outside its folder: a path that is a file, and a package.json linking outside, are refused with nothing written", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "a-file"), "x");
    const onFile = await cli(["init", "a-file"], dir);
    expect(onFile.code).toBe(2);
    expect(onFile.err).toMatch(/^policyc init: a-file: .*a-file is a file, not a folder/m);
    const project = path.join(dir, "project");
    mkdirSync(project);
    const outside = path.join(dir, "outside.json");
    symlinkSync(outside, path.join(project, "package.json"));
    const linked = await cli(["init", "project"], dir);
    expect(linked.code).toBe(2);
    expect(linked.err).toContain("package.json is a symbolic link");
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(path.join(project, "policyc.config.ts"))).toBe(false);
  });

  it("merges package.json: adds the dev dependencies and scripts the scaffold needs, keeps what the project declares", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "mine", type: "commonjs", devDependencies: { vitest: "^3.2.0" }, scripts: { test: "mine" } }),
    );
    expect((await cli(["init"], dir)).code).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, Record<string, string> | string>;
    expect(pkg.type).toBe("commonjs");
    expect(pkg.devDependencies).toMatchObject({
      vitest: "^3.2.0",
      typescript: expect.any(String),
      "@types/node": expect.any(String),
      policyc: expect.stringMatching(/^\^\d/),
    });
    expect(pkg.scripts).toMatchObject({ test: "mine", build: "policyc build", typecheck: "tsc --noEmit" });
  });
});
