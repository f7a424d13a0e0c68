/**
 * The published package: what `npm pack` ships (the engines, LICENSE, THIRD_PARTY_NOTICES,
 * source maps that resolve, no invented URLs), installed into an empty project and run there with
 * Node alone: `init`, `build`, `test`, `apply`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../support/helpers.js";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown> & {
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package as `prepack` lays it out (dist/go a copy of the engines), packed into a tarball. */
function packTarball(): string {
  const stage = tempDir("policyc-pack-");
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, "node_modules/typescript/bin/tsc"),
      "-p",
      path.join(ROOT, "tsconfig.build.json"),
      "--outDir",
      path.join(stage, "dist"),
    ],
    {
      cwd: ROOT,
      stdio: "pipe",
    },
  );
  const engines = realpathSync(path.join(ROOT, "dist/go"));
  cpSync(engines, path.join(stage, "dist/go"), { recursive: true, filter: (f) => !/policyc-(opa|cel)$/.test(f) });
  for (const f of ["bin", "package.json", "LICENSE", "README.md", "docs", "examples"])
    cpSync(path.join(ROOT, f), path.join(stage, f), { recursive: true, filter: (src) => !src.includes("node_modules") });
  cpSync(path.join(engines, "THIRD_PARTY_NOTICES"), path.join(stage, "THIRD_PARTY_NOTICES"));
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", stage], { cwd: stage, encoding: "utf8" });
  return path.join(stage, (JSON.parse(out) as { filename: string }[])[0]!.filename);
}

/** The relative links of a Markdown file (code spans left out), resolved against its folder, fragments dropped. */
function relativeLinks(file: string): string[] {
  const text = readFileSync(file, "utf8")
    .replace(/```[\s\S]*?```/g, "")
    .replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split("#")[0]!)
    .filter((target) => target && !/^[a-z]+:/i.test(target))
    .map((target) => path.relative(ROOT, path.resolve(path.dirname(file), target)));
}

/** The Markdown files the package ships: README.md and docs/. */
const shippedDocs = () => ["README.md", ...readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) => f.endsWith(".md"));

describe("the npm package", () => {
  it("every relative link of the README and docs/ resolves in the repository", () => {
    const links = shippedDocs().flatMap((f) => relativeLinks(path.join(ROOT, f)).map((to) => ({ from: f, to })));
    expect(links.length).toBeGreaterThan(8);
    expect(links.filter((l) => !existsSync(path.join(ROOT, l.to))).map((l) => `${l.from} -> ${l.to}`)).toEqual([]);
  });

  it("declares what it needs at run time only, and no invented URLs", () => {
    expect(pkg.dependencies.ajv).toBeUndefined();
    expect(pkg.devDependencies.ajv).toBeDefined();
    for (const key of ["repository", "homepage", "bugs"]) expect(pkg[key], key).toBeUndefined();
    expect(pkg.files).toContain("THIRD_PARTY_NOTICES");
    expect(readFileSync(path.join(ROOT, "LICENSE"), "utf8")).toContain("Apache License");
  });

  it("THIRD_PARTY_NOTICES, generated from the Debian packages the engines are built from, names Go, OPA, cel-go and the Kubernetes libraries with their licenses", () => {
    const notices = readFileSync(path.join(ROOT, "dist/go/THIRD_PARTY_NOTICES"), "utf8");
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "dist/go/manifest.json"), "utf8")) as { versions: Record<string, string> };
    for (const [name, version] of Object.entries(manifest.versions)) expect(notices).toContain(`${name} ${version}`);
    for (const name of ["golang-github-open-policy-agent-opa-dev", "golang-cel-cel-go-dev", "golang-k8s-apiserver-dev"])
      expect(notices).toContain(name);
    expect(notices).toMatch(/Apache License|Apache-2\.0/);
    expect(notices).toMatch(/BSD-3-clause|BSD 3-Clause|Redistribution and use in source and binary forms/i);
  });

  it(
    "installs from the packed tarball into a project made by npm init -y; init makes it a project whose workflow passes as written, step by step",
    { timeout: 600_000 },
    () => {
      const tarball = packTarball();
      const listing = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n");
      for (const f of [
        "package/LICENSE",
        "package/THIRD_PARTY_NOTICES",
        "package/dist/go/policyc-cel.wasm",
        "package/dist/go/policyc-opa.wasm",
        "package/dist/cli/main.js.map",
      ])
        expect(listing, f).toContain(f);
      expect(listing.some((f) => /dist\/go\/policyc-(opa|cel)$/.test(f))).toBe(false);
      // The package carries its docs: every link of its README and docs/ resolves inside it.
      for (const from of shippedDocs()) {
        expect(listing, from).toContain(`package/${from}`);
        for (const to of relativeLinks(path.join(ROOT, from)))
          expect(
            listing.some((f) => f === `package/${to}` || f.startsWith(`package/${to}/`)),
            `${from} -> ${to}`,
          ).toBe(true);
      }
      // A project as `npm init -y` makes it ("type": "commonjs"), with the tarball installed.
      const project = tempDir("policyc-consumer-");
      const npm = (...args: string[]) =>
        execFileSync("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project, stdio: "pipe", encoding: "utf8" });
      execFileSync("npm", ["init", "-y"], { cwd: project, stdio: "pipe" });
      expect(JSON.parse(readFileSync(path.join(project, "package.json"), "utf8")).type ?? "commonjs").toBe("commonjs");
      npm("install", "--save-dev", "--ignore-scripts", tarball);
      const installed = path.join(project, "node_modules/policyc");
      // Source maps resolve: the sources are embedded.
      const map = JSON.parse(readFileSync(path.join(installed, "dist/cli/main.js.map"), "utf8")) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.[0]).toContain("export async function runCli");
      const env = { ...process.env, POLICYC_ENGINES_DIR: "", CI: "" };
      const policyc = (...args: string[]) =>
        execFileSync(process.execPath, [path.join(installed, "bin/policyc.js"), ...args], { cwd: project, encoding: "utf8", env });
      expect(policyc("--version")).toMatch(/^policyc \d+\.\d+\.\d+\nOPA /);
      policyc("init");
      const pkgJson = JSON.parse(readFileSync(path.join(project, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
      expect(Object.keys(pkgJson.devDependencies).sort()).toEqual(["@types/node", "policyc", "typescript", "vitest"]);
      // What a user does next: install what init added, build and commit generated/.
      npm("install");
      expect(policyc("build")).toMatch(/policyc build: 1 policies, 3 files, generated\/ written/);
      expect(existsSync(path.join(project, "generated/kyverno"))).toBe(true);
      // Then every step of the workflow init wrote, as CI runs it: all green.
      const workflow = readFileSync(path.join(project, ".github/workflows/policyc.yml"), "utf8");
      const steps = [...workflow.matchAll(/^\s*- run: (.+)$/gm)].map((m) => m[1]!);
      expect(steps).toEqual(expect.arrayContaining(["npm ci", "npx tsc --noEmit", "npx vitest run"]));
      for (const step of steps) {
        const r = spawnSync("sh", ["-c", step], { cwd: project, encoding: "utf8", env: { ...env, npm_config_prefer_offline: "true" } });
        expect(r.status, `${step}\n${r.stdout}\n${r.stderr}`).toBe(0);
      }
      expect(policyc("test")).toMatch(/OK {2}2 cases, 8 evaluations: 8 passed/);
      expect(policyc("apply")).toMatch(/OK {2}1 resources, 4 evaluations: 4 passed/);
      expect(readdirSync(path.join(installed, "dist/go")).sort()).toEqual([
        "THIRD_PARTY_NOTICES",
        "manifest.json",
        "policyc-cel.wasm",
        "policyc-opa.wasm",
      ]);
    },
  );
});
