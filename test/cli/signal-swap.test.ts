/**
 * Issue 30 item 8: a signal delivered while `policyc build` swaps the output directory. The swap
 * is synchronous, so SIGTERM and SIGINT wait for it to end: the lock is released, the new tree is
 * in place (nothing half-written, no journal left), and the process exits as the signal would have.
 * A crash at the same step (SIGKILL: no handler runs) is finished by the next command.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SWAP_STEPS } from "../../src/emit/index.js";
import { cli, ROOT, tempDir } from "../support/helpers.js";

/** A child that builds the starter policies into `out`, sending itself `signal` after swap step `step`. */
function buildWithSignal(out: string, step: string, signal: NodeJS.Signals) {
  const script = path.join(tempDir("policyc-sig-"), "build.ts");
  writeFileSync(
    script,
    `import { buildPolicies } from ${JSON.stringify(path.join(ROOT, "src/build/index.ts"))};
const r = await buildPolicies({
  cwd: ${JSON.stringify(ROOT)},
  policies: "test/starter",
  out: ${JSON.stringify(out)},
  targets: ["kyverno", "kubernetes", "gatekeeper"],
  write: { after: (s) => { if (s === ${JSON.stringify(step)}) process.kill(process.pid, ${JSON.stringify(signal)}); } },
});
process.stdout.write(r.status);
`,
  );
  return spawnSync(process.execPath, ["--import", path.join(ROOT, "test/fuzz/register.mjs"), script], { cwd: ROOT, encoding: "utf8" });
}

const leftovers = (out: string) => readdirSync(path.dirname(out)).filter((f) => f !== path.basename(out));

describe("signals during the output swap", () => {
  it.each(SWAP_STEPS.filter((s) => s !== "unjournaled").map((s) => [s]))(
    "SIGTERM after %s: the swap completes, the lock is released, exit 143",
    (step) => {
      const out = path.join(tempDir("policyc-sig-out-"), "generated");
      const r = buildWithSignal(out, step, "SIGTERM");
      expect(r.status, r.stderr).toBe(143);
      expect(readdirSync(out).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno"]);
      expect(leftovers(out)).toEqual([]);
    },
    120_000,
  );

  it("SIGKILL after old-moved (no handler runs): the next build finishes the swap and takes the stale lock", async () => {
    const out = path.join(tempDir("policyc-sig-out-"), "generated");
    const r = buildWithSignal(out, "old-moved", "SIGKILL");
    expect(r.signal).toBe("SIGKILL");
    expect(leftovers(out).length).toBeGreaterThan(0);
    const again = await cli(["build", "--policies", "test/starter", "--out", out]);
    expect(again.code, again.err).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(leftovers(out)).toEqual([]);
  }, 120_000);
});
