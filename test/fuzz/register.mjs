// Lets `node` run the fuzzer's TypeScript directly, through policyc's own module hooks (amaro,
// `.js` specifiers resolved to `.ts`); policyc's sources are transformed (they use parameter
// properties), not only stripped.
import { register } from "node:module";

const root = new URL("../../", import.meta.url).href;
register("../../src/load/hooks.js", import.meta.url, {
  data: { policycUrl: new URL("src/index.ts", root).href, libraryUrl: new URL("src/library/index.ts", root).href, transformUnder: root },
});
