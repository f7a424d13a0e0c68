import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Policy files must be imported by Node itself, through policyc's loader hooks.
    server: { deps: { external: [/src\/load\/native-import\.js$/] } },
  },
});
