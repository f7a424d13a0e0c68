/**
 * The bad-input catalogue: odd or hostile input ends with the documented exit code, a stable
 * error code and a location, never a stack trace, a false pass or lost output. (Invalid
 * policies, one folder each: test/errors; fixtures beyond the limits: resource-bounds.test.ts.)
 */
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readOutputDir, SWAP_STEPS } from "../../src/emit/index.js";
import { cli, jsonIssues, ROOT, tempDir } from "../support/helpers.js";

/** A project: the starter policies under policies/, built once into generated/. */
async function project(): Promise<string> {
  const work = tempDir();
  cpSync(path.join(ROOT, "test", "starter"), path.join(work, "policies"), { recursive: true });
  expect((await cli(["build"], work)).code).toBe(0);
  return work;
}
const write = (dir: string, file: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};
const noTests = `import { definePolicy, Pod } from "policyc";\nexport default definePolicy({ name: "p", match: { kinds: [Pod] }, validate: (pod) => pod.spec.hostPID.notEquals(true) });\n`;

describe("no false passes", () => {
  it("policies without test cases: exit 1, 'no test cases ran'", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", noTests);
    const r = await cli(["test"], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no test cases ran");
    expect((await cli(["test", "--pass-with-no-tests"], dir)).code).toBe(0);
  });

  it("a --filter that matches nothing: exit 1, naming the filter", async () => {
    const r = await cli(["test", "--policies", "test/starter", "--engine", "reference", "--filter", "privilegd"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--filter "privilegd" matched none');
  });

  it("a shard left empty because there are fewer cases than shards: exit 0, with a note", async () => {
    const r = await cli(["test", "--policies", "test/starter", "--engine", "reference", "--shard", "12/12"]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("shard 12/12 is empty");
  });

  it("a policy module that calls process.exit, never settles, or loops: a located policy_load_error each, and the run goes on", async () => {
    const dir = await project();
    write(dir, "policies/a-exit.ts", "process.exit(0);\n");
    write(dir, "policies/b-hang.ts", "await new Promise(() => {});\n");
    write(dir, "policies/c-loop.ts", "while (true) {}\n");
    const r = await cli(["build", "--load-timeout", "2", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    const issues = jsonIssues(r.out);
    expect(issues.map((i) => [i.code, i.source?.file, i.source?.line])).toEqual([
      ["policy_load_error", "policies/a-exit.ts", 1],
      ["policy_load_error", "policies/b-hang.ts", 1],
      ["policy_load_error", "policies/c-loop.ts", 1],
    ]);
    expect(issues[0]!.message).toContain("ended the loader");
    expect(issues[1]!.message).toContain("did not finish within 2 s");
    // The process that loaded them is alive and well: the next build of the good policies works.
    for (const f of ["a-exit.ts", "b-hang.ts", "c-loop.ts"]) rmSync(path.join(dir, "policies", f));
    expect((await cli(["build"], dir)).code).toBe(0);
  }, 60_000);

  it("a dangling symbolic link under policies/ is a located error, not a skipped file", async () => {
    const dir = await project();
    symlinkSync(path.join(dir, "nowhere.ts"), path.join(dir, "policies", "gone.ts"));
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "policy_load_error" });
    expect(jsonIssues(r.out)[0]!.message).toContain("gone.ts is a symbolic link to nothing");
  });

  it("a linked folder of policies is read, and a link loop read once", async () => {
    const dir = await project();
    mkdirSync(path.join(dir, "shared"));
    write(dir, "shared/extra.ts", noTests.replace('name: "p"', 'name: "linked-policy"'));
    symlinkSync(path.join(dir, "shared"), path.join(dir, "policies", "shared"));
    symlinkSync(path.join(dir, "policies"), path.join(dir, "shared", "loop"));
    const r = await cli(["build"], dir);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(path.join(dir, "generated", "kyverno", "linked-policy.yaml"))).toBe(true);
    expect(r.out).toContain("4 policies");
  });
});

describe("no lost output", () => {
  it("--targets '' is exit 2 and leaves generated/ alone", async () => {
    const dir = await project();
    const before = readOutputDir(path.join(dir, "generated"));
    const r = await cli(["build", "--targets", ""], dir);
    expect(r.code).toBe(2);
    expect(readOutputDir(path.join(dir, "generated"))).toEqual(before);
  });

  it("a --policies folder holding no policy file is exit 2 and leaves generated/ alone; --allow-empty empties it", async () => {
    const dir = await project();
    mkdirSync(path.join(dir, "typo"));
    const before = readOutputDir(path.join(dir, "generated"));
    const r = await cli(["build", "--policies", "typo", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "invalid_path" });
    expect(readOutputDir(path.join(dir, "generated"))).toEqual(before);
    expect((await cli(["build", "--policies", "typo", "--allow-empty"], dir)).code).toBe(0);
    expect(readOutputDir(path.join(dir, "generated")).size).toBe(0);
  });

  it("an --out that is a symbolic link keeps the link and updates its target", async () => {
    const dir = await project();
    const real = path.join(dir, "real-out");
    symlinkSync(real, path.join(dir, "linked"));
    expect((await cli(["build", "--out", "linked"], dir)).code).toBe(0);
    expect(lstatSync(path.join(dir, "linked")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dir, "linked"))).toBe(real);
    expect(readOutputDir(real).size).toBe(9);
  });

  it("a FIFO or a folder link inside --out is a located error, never read", async () => {
    const dir = await project();
    execFileSync("mkfifo", [path.join(dir, "generated", "kyverno", "pipe.yaml")]);
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]!.message).toContain("pipe.yaml is a FIFO");
    rmSync(path.join(dir, "generated", "kyverno", "pipe.yaml"));
    symlinkSync("/etc", path.join(dir, "generated", "etc"));
    const c = await cli(["build", "--check", "--reporter", "json"], dir);
    expect(c.code).toBe(2);
    expect(jsonIssues(c.out)[0]!.message).toContain("is a symbolic link");
  });

  it("concurrent builds of one --out are serialised: both end well, the output is whole", async () => {
    const dir = await project();
    rmSync(path.join(dir, "generated"), { recursive: true });
    const run = () =>
      new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          ["--import", path.join(ROOT, "test/fuzz/register.mjs"), path.join(ROOT, "test/support/crash-build.ts"), "none"],
          { cwd: dir, stdio: "ignore" },
        );
        child.on("exit", (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([run(), run(), run()])).toEqual([0, 0, 0]);
    expect(readOutputDir(path.join(dir, "generated")).size).toBe(9);
    expect(existsSync(path.join(dir, ".generated.policyc-lock"))).toBe(false);
  }, 120_000);

  it.each(SWAP_STEPS.map((s) => [s]))(
    "kill -9 after the swap step %s: the next command leaves the old set or the new, whole",
    async (step) => {
      const dir = await project();
      const old = readOutputDir(path.join(dir, "generated"));
      // Change one policy, so the old and the new sets differ.
      const file = path.join(dir, "policies", "no-wildcard-verbs.ts");
      writeFileSync(file, readFileSync(file, "utf8").replace("audit", "enforce"));
      let crashed = false;
      try {
        execFileSync(
          process.execPath,
          ["--import", path.join(ROOT, "test/fuzz/register.mjs"), path.join(ROOT, "test/support/crash-build.ts"), step],
          {
            cwd: dir,
            stdio: "ignore",
          },
        );
      } catch (e) {
        crashed = (e as { signal?: string }).signal === "SIGKILL";
      }
      expect(crashed).toBe(true);
      // The next command: build --check finishes or rolls back the swap, then compares.
      const check = await cli(["build", "--check"], dir);
      const now = readOutputDir(path.join(dir, "generated"));
      expect(now.size).toBe(9);
      // Before the journal the old set stays (stale: --check exits 1); from the journal on, the swap is finished (current: 0).
      const isOld = [...old].every(([f, c]) => now.get(f) === c);
      expect(isOld).toBe(step === "written");
      expect(check.code).toBe(isOld ? 1 : 0);
      const leftovers = readdirSync(dir).filter((e) => e.startsWith(".generated.policyc-"));
      expect(leftovers).toEqual([]);
    },
    120_000,
  );
});

describe("the exit-code contract: user errors are exit 2 with a one-line message naming the path", () => {
  it("--out is a file, or /", async () => {
    const dir = await project();
    writeFileSync(path.join(dir, "afile"), "x");
    const a = await cli(["build", "--out", "afile"], dir);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/invalid_path --out .*afile is a file/);
    const b = await cli(["build", "--out", "/"], dir);
    expect(b.code).toBe(2);
    expect(b.err).toContain("--out / is the root directory");
  });

  it("--output in a folder that does not exist", async () => {
    const r = await cli([
      "test",
      "--policies",
      "test/starter",
      "--engine",
      "reference",
      "--reporter",
      "json",
      "--output",
      "no/such/dir/r.json",
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("cannot write the json report to no/such/dir/r.json: its directory does not exist");
  });

  it("a fixture path that is a folder", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", noTests.replace("});", ', tests: [{ resource: "fixtures", expect: "allow" }] });'));
    mkdirSync(path.join(dir, "policies", "fixtures"));
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "invalid_test_case", source: { file: "policies/p.ts", line: 2 } });
    expect(jsonIssues(r.out)[0]!.message).toContain("is a directory");
  });

  it("a policy module that throws a value that is not an Error", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", "throw Object.create(null);\n");
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "policy_load_error", source: { file: "policies/p.ts", line: 1 } });
  });

  it("BigInt parameters", async () => {
    const dir = tempDir();
    write(
      dir,
      "policies/p.ts",
      `import { definePolicy, Pod, z } from "policyc";\n\nexport default definePolicy({ name: "p", match: { kinds: [Pod] }, params: z.object({ n: z.bigint().default(5n) }), validate: (pod) => pod.spec.hostPID.notEquals(true) });\n`,
    );
    const r = await cli(["build", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]).toMatchObject({ code: "invalid_params", source: { file: "policies/p.ts", line: 3 } });
    expect(jsonIssues(r.out)[0]!.message).toContain("params.n is a BigInt");
  });

  it("--timeout takes fractional seconds, and refuses what is not a positive number when options are parsed", async () => {
    expect((await cli(["test", "--policies", "test/starter", "--engine", "reference", "--timeout", "0.5"])).code).toBe(0);
    const r = await cli(["test", "--policies", "test/starter", "--timeout", "-1"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--timeout must be a positive number");
  });

  it("a fixture file far beyond the limits is refused at once, by its size", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", noTests.replace("});", ', tests: [{ resource: "fixtures/huge.yaml", expect: "allow" }] });'));
    mkdirSync(path.join(dir, "policies", "fixtures"));
    const huge = path.join(dir, "policies", "fixtures", "huge.yaml");
    writeFileSync(huge, "");
    truncateSync(huge, 50 * 1024 * 1024);
    const r = await cli(["test", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]!.message).toContain("the file is 50 MiB");
  });
});

describe("fixtures as kubectl reads them", () => {
  it("skips empty documents (a file ending in ---, or --- twice); a present document that is not a mapping is still an error", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", noTests.replace("});", ', tests: [{ resource: "fixtures/pods.yaml", expect: "allow" }] });'));
    write(dir, "policies/fixtures/pods.yaml", "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {}\n---\n---\n");
    expect((await cli(["test", "--engine", "reference"], dir)).code).toBe(0);
    write(dir, "policies/p.ts", noTests.replace("});", ', tests: [{ resource: "fixtures/tilde.yaml", expect: "allow" }] });'));
    write(dir, "policies/fixtures/tilde.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {}\n---\n~\n");
    const r = await cli(["test", "--engine", "reference", "--reporter", "json"], dir);
    expect(r.code).toBe(2);
    expect(jsonIssues(r.out)[0]!.message).toContain("tilde.yaml:6:1: a fixture document must be a Kubernetes object");
  });

  it("applies YAML merge keys (<<)", async () => {
    const dir = tempDir();
    write(dir, "policies/p.ts", noTests.replace("});", ', tests: [{ resource: "fixtures/merged.yaml", expect: "deny" }] });'));
    write(
      dir,
      "policies/fixtures/merged.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  <<: &host\n    hostPID: true\n  containers: [{name: c, image: nginx}]\n",
    );
    const r = await cli(["test", "--engine", "reference,gatekeeper"], dir);
    expect(r.code, r.out + r.err).toBe(0);
  });
});

// Permission errors cannot be provoked as root (CI runs as root): a read-only --out goes through
// the code path that turns EACCES/EROFS into invalid_path, which these tests do not reach.
