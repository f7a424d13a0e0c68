import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Registers policyc's matchers (toAllow, toDeny, toSkip) with their types.
    setupFiles: ["policyc/vitest"],
    testTimeout: 60_000,
  },
});
