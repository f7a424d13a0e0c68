/**
 * `npm run bench:apply [-- --quick] [-- --sizes 50,500] [-- --out FILE]`: `policyc apply` with the
 * library's policies (policies/, 48) over generated manifests (bench/manifests.ts: workloads,
 * Services, RBAC, Namespaces, NetworkPolicies, PodDisruptionBudgets, autoscalers and a few large
 * CRDs) of 50, 500, 5,000 and 20,000 objects: all engines, and each engine alone; wall time and
 * peak RSS of the process (GNU time), the growth ratio 20,000/5,000, and the cost of the
 * policies that read the cluster (lookups) against the same run without them. Writes
 * bench/apply-results.json and prints a Markdown table for docs/internals.md.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeManifests } from "./manifests.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const sizes = (arg("--sizes") ?? (quick ? "50,500" : "50,500,5000,20000")).split(",").map(Number);
const outFile = path.resolve(arg("--out") ?? path.join(ROOT, "bench", "apply-results.json"));
const ENGINES = ["all", "kyverno", "kubernetes", "gatekeeper", "reference"] as const;
/** The library's policies that read the cluster. */
const LOOKUPS = [
  "require-networkpolicy",
  "unique-ingress-host",
  "unique-service-selector",
  "require-pdb",
  "restrict-hpa-replicas-conflict",
];
const log = (s: string) => process.stderr.write(`bench:apply: ${s}\n`);

/** Wall time, peak RSS and the report's summary of one `policyc apply` run (the shipped build, bin/policyc.js). */
function apply(dir: string, extra: string[]): { wallS: number; peakRssMb: number; evaluations: number; resources: number } {
  const report = path.join(dir, "report.json");
  const r = spawnSync(
    "/usr/bin/time",
    [
      "-f",
      "%e %M",
      process.execPath,
      path.join(ROOT, "bin", "policyc.js"),
      "apply",
      "manifests",
      "--policies",
      path.join(ROOT, "policies"),
      "--reporter",
      `json=${report}`,
      ...extra,
    ],
    { cwd: dir, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, CI: "true" } },
  );
  if (r.status !== 0 && r.status !== 1) throw new Error(`policyc apply ${extra.join(" ")} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const [wall, rss] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  const summary = (JSON.parse(readFileSync(report, "utf8")) as { summary: { evaluations: number; cases: number } }).summary;
  return { wallS: +wall!.toFixed(2), peakRssMb: Math.round(rss! / 1024), evaluations: summary.evaluations, resources: summary.cases };
}

const work = mkdtempSync(path.join(os.tmpdir(), "policyc-bench-apply-"));
const results: Record<string, Record<string, unknown>> = {};
const table = [["objects", ...ENGINES.map((e) => `${e} s / MB`), "all without lookups s", "lookups' share"]];
try {
  for (const n of sizes) {
    const dir = path.join(work, String(n));
    const objects = writeManifests(path.join(dir, "manifests"), n);
    log(`${objects} objects`);
    const row: Record<string, unknown> = { objects };
    for (const engine of ENGINES) {
      const m = apply(dir, engine === "all" ? [] : ["--engine", engine]);
      log(`  ${engine}: ${m.wallS} s, ${m.peakRssMb} MB, ${m.evaluations} evaluations`);
      row[engine] = m;
    }
    const without = apply(
      dir,
      LOOKUPS.flatMap((p) => ["--exclude-policy", p]),
    );
    log(`  all, without the ${LOOKUPS.length} lookup policies: ${without.wallS} s, ${without.peakRssMb} MB`);
    row["allWithoutLookups"] = without;
    results[String(n)] = row;
    const all = row["all"] as { wallS: number };
    table.push([
      String(objects),
      ...ENGINES.map((e) => `${(row[e] as { wallS: number }).wallS} / ${(row[e] as { peakRssMb: number }).peakRssMb}`),
      String(without.wallS),
      `${Math.round(((all.wallS - without.wallS) / all.wallS) * 100)}%`,
    ]);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const growth =
  results["20000"] && results["5000"]
    ? +((results["20000"]["all"] as { wallS: number }).wallS / (results["5000"]["all"] as { wallS: number }).wallS).toFixed(2)
    : undefined;
const out = {
  machine: {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    node: process.version,
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  },
  ...(growth ? { growth20000over5000: growth } : {}),
  sizes: results,
};
writeFileSync(outFile, JSON.stringify(out, null, 2) + "\n");
process.stdout.write(`| ${table[0]!.join(" | ")} |\n|${table[0]!.map(() => "---").join("|")}|\n`);
for (const r of table.slice(1)) process.stdout.write(`| ${r.join(" | ")} |\n`);
if (growth) process.stdout.write(`\ntime(20,000) / time(5,000), all engines: ${growth}\n`);
process.stdout.write(`written to ${path.relative(ROOT, outFile)}\n`);
