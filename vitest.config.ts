import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The engines hold large Wasm modules (the CEL engine is ~98 MB) and compile big test
    // modules; give each test process more V8 heap than Node's default.
    execArgv: ["--max-old-space-size=8192"],
    // Policy files must be imported by Node itself, through policyc's loader hooks.
    server: { deps: { external: [/src\/load\/native-import\.js$/] } },
  },
});
