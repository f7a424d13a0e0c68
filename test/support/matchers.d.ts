import type { PolicycMatchers } from "../../src/testing/index.js";

declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends PolicycMatchers<T> {}
}
