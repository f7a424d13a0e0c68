import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { EXIT, type Io } from "../output.js";
import { policycVersion } from "../reporting.js";

/** The scaffold's Deployment, with or without its team label. */
function deployment(o: { team: boolean; replicas?: number }): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
${o.team ? "  labels:\n    example.com/team: storefront\n" : ""}spec:
${o.replicas ? `  replicas: ${o.replicas}\n` : ""}  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
`;
}

/** The files `policyc init` writes: a project whose build, test and apply pass as they are. */
function scaffold(version: string): Record<string, string> {
  return {
    "policyc.config.ts": `import { defineConfig } from "policyc";

export default defineConfig({
  policies: "policies",
  out: "generated",
  targets: ["kyverno", "kubernetes", "gatekeeper"],
  apply: {
    // The manifests you deploy (raw YAML, \`helm template\` or \`kustomize build\` output).
    inputs: ["deploy"],
  },
});
`,
    "policies/require-team-label.ts": `import { definePolicy, Deployment } from "policyc";

const LABEL = "example.com/team";

export default definePolicy({
  name: "require-team-label",
  title: "Require a team label",
  description: "Every Deployment names the team that owns it, so alerts and costs reach someone.",
  category: "Best Practices",
  severity: "medium",
  match: { kinds: [Deployment], excludeNamespaces: ["kube-system"] },
  rules: [
    {
      name: "team-label",
      assert: (d) => d.metadata.labels.at(LABEL).matches("^[a-z][a-z0-9-]*$"),
      message: \`Deployments must carry the label \${LABEL} (a lowercase team name)\`,
    },
  ],
  tests: [
    { resource: "fixtures/deployment-with-team.yaml", expect: "allow" },
    { resource: "fixtures/deployment-without-team.yaml", expect: "deny", message: LABEL },
  ],
});
`,
    "policies/fixtures/deployment-with-team.yaml": deployment({ team: true }),
    "policies/fixtures/deployment-without-team.yaml": deployment({ team: false }),
    "deploy/web.yaml": `# What this repository deploys; \`policyc apply\` checks it before the cluster sees it.\n${deployment({ team: true, replicas: 2 })}`,
    "test/require-team-label.test.ts": `import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import "policyc/vitest";
import { evaluate } from "policyc/testing";
import requireTeamLabel from "../policies/require-team-label.ts";

const fixture = (name: string) => fileURLToPath(new URL(\`../policies/fixtures/\${name}\`, import.meta.url));

describe("require-team-label", () => {
  it("allows a Deployment that names its team", async () => {
    expect(await evaluate(requireTeamLabel, fixture("deployment-with-team.yaml"))).toAllow();
  });

  it("denies a Deployment without a team, on every engine", async () => {
    expect(await evaluate(requireTeamLabel, fixture("deployment-without-team.yaml"))).toDeny(/example.com\\/team/);
  });
});
`,
    ".github/workflows/policyc.yml": `name: policies
on: [push, pull_request]
jobs:
  policies:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      # policyc's engines (built once from Debian's Go sources) and compiled Rego live here.
      - uses: actions/cache@v4
        with:
          path: ~/.cache/policyc
          key: policyc-\${{ runner.os }}-\${{ hashFiles('package-lock.json') }}
      - run: npm ci
      - run: npx policyc build --check
      - run: npx policyc test --reporter pretty --reporter junit=policyc-test.xml
      - run: npx policyc apply --reporter pretty --reporter sarif=policyc-apply.sarif
      - run: npx vitest run
`,
    "tsconfig.json": `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "allowImportingTsExtensions": true,
    "types": ["node", "policyc/vitest"]
  },
  "include": ["policyc.config.ts", "policies", "test"]
}
`,
    "package.json": `${JSON.stringify(
      {
        name: "policies",
        private: true,
        type: "module",
        scripts: { build: "policyc build", test: "policyc test && vitest run", apply: "policyc apply" },
        devDependencies: { policyc: `^${version}`, vitest: "^4.0.0" },
      },
      null,
      2,
    )}\n`,
  };
}

/** `policyc init [dir]`: scaffolds a project; never overwrites a file (package.json and tsconfig.json are left as they are). */
export function initCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("init")
    .description("scaffold a project: configuration, a policy with fixtures and cases, a vitest test, manifests, a CI workflow")
    .argument("[dir]", "where (default: the current folder)", ".")
    .action((dir: string) => {
      const root = path.resolve(io.cwd, dir);
      const files = scaffold(policycVersion());
      const optional = new Set(["package.json", "tsconfig.json"]);
      const clashes = Object.keys(files).filter((f) => !optional.has(f) && existsSync(path.join(root, f)));
      if (clashes.length) {
        io.err(
          `policyc init: these files exist already; nothing was written:\n${clashes.map((f) => `  ${path.join(dir, f)}`).join("\n")}\n`,
        );
        return setExit(EXIT.invalid);
      }
      const written: string[] = [];
      for (const [file, text] of Object.entries(files)) {
        const target = path.join(root, file);
        if (existsSync(target)) continue;
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, text);
        written.push(file);
      }
      io.out(
        `policyc init: wrote ${written.length} files in ${path.relative(io.cwd, root) || "."}\n${written.map((f) => `  ${f}`).join("\n")}\n` +
          "next: npm install, then npx policyc build, npx policyc test, npx policyc apply\n",
      );
      setExit(EXIT.ok);
    });
}
