import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildDir, ROOT } from "../support/helpers.js";

const GOLDEN = path.join(ROOT, "test", "golden");

/**
 * One folder per case: policy.ts next to the YAML each target emits and the Rego of the
 * ConstraintTemplate, stored as real files so reviews see the diff.
 */
describe.each(readdirSync(GOLDEN).sort())("golden %s", (name) => {
  const dir = path.join(GOLDEN, name);
  it("emits the stored YAML for every target, and the stored Rego", async () => {
    const r = await buildDir(path.relative(ROOT, dir), { kyvernoFormats: ["validating-policy", "legacy"] });
    expect(r.issues).toEqual([]);
    expect(r.status).toBe("ok");
    const files = [...r.files.entries()];
    for (const target of ["kyverno", "kyverno-legacy", "kubernetes", "gatekeeper"]) {
      const entry = files.find(([f]) => f.startsWith(`${target}/`) && !f.includes("/sync/"));
      expect(entry, `${target} output`).toBeDefined();
      await expect(entry![1]).toMatchFileSnapshot(path.join(dir, `${target}.yaml`));
    }
    const sync = r.files.get("gatekeeper/sync/config.yaml");
    if (sync) await expect(sync).toMatchFileSnapshot(path.join(dir, "gatekeeper-sync.yaml"));
    const template = r.compiled[0]!.outputs.find((o) => o.target === "gatekeeper")!.documents[0]!;
    const rego = (template as unknown as { spec: { targets: { rego: string }[] } }).spec.targets[0]!.rego;
    await expect(rego).toMatchFileSnapshot(path.join(dir, "template.rego"));
  });
});
