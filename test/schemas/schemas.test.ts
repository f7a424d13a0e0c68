import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SOURCE, OUT, makeSchemas, withoutDescriptions } from "./make-schemas.mjs";

describe("the project's copy of the upstream schemas", () => {
  it("travels with the project: every schema the manifest names is here", () => {
    const manifest = JSON.parse(readFileSync(path.join(OUT, "manifest.json"), "utf8")) as Record<string, string>;
    const names = Object.keys(manifest).map((f) => f.replace(/\.(ya?ml|json)$/, ".json"));
    expect(names.length).toBeGreaterThanOrEqual(18);
    expect(
      readdirSync(OUT)
        .filter((f) => f !== "manifest.json" && f.endsWith(".json"))
        .sort(),
    ).toEqual(names.sort());
  });

  it("drops only the description keyword, never a property named description", () => {
    const schema = {
      description: "prose",
      properties: {
        description: { type: "string", description: "x" },
        items: { type: "array", items: { description: "y", type: "string" } },
      },
    };
    expect(withoutDescriptions(schema)).toEqual({
      properties: { description: { type: "string" }, items: { type: "array", items: { type: "string" } } },
    });
  });

  // Where the shared folder is beside the project (the developers' machines), the copy must be what
  // the script makes of it now; a clone alone has only the copy, and the test above.
  it.runIf(existsSync(path.join(DEFAULT_SOURCE, "README.md")))("is what test/schemas/make-schemas.mjs makes of ../shared/schemas", () => {
    for (const [name, text] of makeSchemas(DEFAULT_SOURCE) as Map<string, string>)
      expect(readFileSync(path.join(OUT, name), "utf8"), `${name} is stale: run npm run schemas`).toBe(text);
  });
});
