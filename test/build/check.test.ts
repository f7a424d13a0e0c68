import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "../support/helpers.js";

describe("policyc check", () => {
  it("passes on the starter policies", async () => {
    const r = await cli(["check"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("reports a misspelled field as a TypeScript error at file:line:col, exit 2", async () => {
    const work = tempDir();
    cpSync(path.join(ROOT, "test", "starter"), path.join(work, "policies"), { recursive: true });
    writeFileSync(
      path.join(work, "policies", "typo.ts"),
      'import { definePolicy, Pod } from "policyc";\n\nexport default definePolicy({\n  name: "typo",\n  match: { kinds: [Pod] },\n  validate: (pod) => pod.spec.hostNetwrk.notEquals(true),\n});\n',
    );
    const r = await cli(["check"], work);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^policies\/typo\.ts:6:\d+ type_error TS\d+: Property 'hostNetwrk' does not exist/m);
  });
});
