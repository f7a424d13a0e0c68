/**
 * What `policyc init` writes: a configuration, one policy with fixtures and cases, a vitest test,
 * manifests to apply and a CI workflow; a project whose build, test and apply pass as they are.
 */
const CONFIG = `import { defineConfig } from "policyc";

export default defineConfig({
  policies: "policies",
  out: "generated",
  targets: ["kyverno", "kubernetes", "gatekeeper"],
  apply: {
    // The manifests you deploy (raw YAML, \`helm template\` or \`kustomize build\` output).
    inputs: ["deploy"],
  },
});
`;

const POLICY = `import { definePolicy, Deployment } from "policyc";

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
`;

const VITEST_TEST = `import { fileURLToPath } from "node:url";
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
`;

const WORKFLOW = `name: policies
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
      # Type errors (a misspelled field, a parameter of the wrong type) fail here, in policies and tests.
      - run: npx tsc --noEmit
      - run: npx policyc build --check
      - run: npx policyc test --reporter pretty --reporter junit=policyc-test.xml
      - run: npx policyc apply --reporter pretty --reporter sarif=policyc-apply.sarif
      - run: npx vitest run
`;

// ESNext modules with bundler resolution: policy files, tests and the configuration are ES modules
// whatever the package's "type" says (npm init writes "commonjs"): policyc loads them as such, and
// vitest too; NodeNext would read them as CommonJS there and refuse import.meta.
const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "allowImportingTsExtensions": true,
    "types": ["node", "policyc/vitest"]
  },
  "include": ["policyc.config.ts", "policies", "test"]
}
`;

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

/** What the project needs besides policyc, at the versions policyc itself is tested with. */
export const DEV_DEPENDENCIES = ["vitest", "typescript", "@types/node"] as const;

/** The scripts `init` adds to package.json (those the project does not define already). */
export const SCRIPTS = { build: "policyc build", test: "policyc test && vitest run", apply: "policyc apply", typecheck: "tsc --noEmit" };

/** The files `policyc init` writes: a project whose build, test and apply pass as they are. package.json is merged, not written. */
export function scaffold(): Record<string, string> {
  return {
    "policyc.config.ts": CONFIG,
    "policies/require-team-label.ts": POLICY,
    "policies/fixtures/deployment-with-team.yaml": deployment({ team: true }),
    "policies/fixtures/deployment-without-team.yaml": deployment({ team: false }),
    "deploy/web.yaml": `# What this repository deploys; \`policyc apply\` checks it before the cluster sees it.\n${deployment({ team: true, replicas: 2 })}`,
    "test/require-team-label.test.ts": VITEST_TEST,
    ".github/workflows/policyc.yml": WORKFLOW,
    "tsconfig.json": TSCONFIG,
  };
}
