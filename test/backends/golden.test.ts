import { existsSync, readdirSync } from "node:fs";
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
    // A policy that reads the cluster cannot be a legacy ClusterPolicy (validate.cel has no resource
    // library) nor a VAP (it skips that target): it stores no file for them.
    const legacy = await buildDir(path.relative(ROOT, dir), { kyvernoFormats: ["validating-policy", "legacy"] });
    const readsCluster =
      legacy.issues.length > 0 &&
      legacy.issues.every((i) => i.code === "unsupported_by_target" && i.message.includes("legacy ClusterPolicy"));
    const r = readsCluster ? await buildDir(path.relative(ROOT, dir), { kyvernoFormats: ["validating-policy"] }) : legacy;
    expect(r.issues).toEqual([]);
    expect(r.status).toBe("ok");
    const files = [...r.files.entries()];
    for (const target of ["kyverno", "kyverno-legacy", "kubernetes", "gatekeeper"]) {
      const entry = files.find(([f]) => f.startsWith(`${target}/`) && !f.includes("/sync/"));
      const expected = !readsCluster || target === "kyverno" || target === "gatekeeper";
      expect(entry !== undefined, `${target} output`).toBe(expected);
      if (entry) await expect(entry[1]).toMatchFileSnapshot(path.join(dir, `${target}.yaml`));
      else expect(existsSync(path.join(dir, `${target}.yaml`)), `a stale ${target}.yaml`).toBe(false);
    }
    const sync = r.files.get("gatekeeper/sync/config.yaml");
    if (sync) await expect(sync).toMatchFileSnapshot(path.join(dir, "gatekeeper-sync.yaml"));
    const template = r.compiled[0]!.outputs.find((o) => o.target === "gatekeeper")!.documents[0]!;
    const rego = (template as unknown as { spec: { targets: { rego: string }[] } }).spec.targets[0]!.rego;
    await expect(rego).toMatchFileSnapshot(path.join(dir, "template.rego"));
  });
});
