import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The engines hold large Wasm modules (the CEL engine is ~98 MB) and compile big test
    // modules; give each test process more V8 heap than Node's default.
    execArgv: ["--max-old-space-size=8192"],
    projects: [
      { extends: true, test: { name: "policyc", include: ["test/**/*.test.ts"] } },
      {
        // The example repositories' own vitest tests, as they run there, with "policyc" being
        // this checkout (there it is the installed package).
        extends: true,
        // The setup file by path: vitest resolves setupFiles before the aliases apply, and "policyc/vitest"
        // would be the package's own build (dist/), stale beside the sources under test.
        test: { name: "examples", include: ["examples/*/test/**/*.test.ts"], setupFiles: [src("testing/vitest.ts")] },
        resolve: {
          alias: [
            { find: /^policyc$/, replacement: src("index.ts") },
            { find: /^policyc\/testing$/, replacement: src("testing/index.ts") },
            { find: /^policyc\/vitest$/, replacement: src("testing/vitest.ts") },
            { find: /^policyc\/library$/, replacement: src("library/index.ts") },
          ],
        },
      },
    ],
  },
});
