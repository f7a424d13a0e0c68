/**
 * `policyc test --watch`: after an edit only the affected policies' cases run again, with the
 * engines kept warm; a helper module's change reaches the policies importing it; a file that does
 * not load is reported and the watch goes on.
 */
import { cpSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { watchTests, type TestOutcome } from "../../src/harness/index.js";
import { ROOT, tempDir } from "../support/helpers.js";

/** Runs a watch over a copy of the starter policies; `next()` waits for the following run. */
function startWatch() {
  const dir = tempDir();
  cpSync(path.join(ROOT, "test/starter"), path.join(dir, "policies"), { recursive: true });
  type Run = { outcome: TestOutcome; changed: readonly string[] | undefined };
  const unread: Run[] = [];
  const waiting: ((r: Run) => void)[] = [];
  const controller = new AbortController();
  const done = watchTests({
    cwd: dir,
    paths: [],
    policies: "policies",
    engines: ["reference", "gatekeeper"],
    signal: controller.signal,
    onRun: (outcome, changed) => {
      const r = { outcome, changed };
      const waiter = waiting.shift();
      if (waiter) waiter(r);
      else unread.push(r);
    },
  });
  const next = () => new Promise<Run>((resolve) => (unread.length ? resolve(unread.shift()!) : waiting.push(resolve)));
  return { dir, next, stop: async () => (controller.abort(), await done) };
}

const policiesRun = (o: TestOutcome) => (o.status === "ran" ? [...new Set(o.report.results.map((r) => r.policy))].sort() : o.status);

describe("policyc test --watch", () => {
  it("re-runs only the edited policy's cases, then reports a file that does not load and recovers", { timeout: 120_000 }, async () => {
    const w = startWatch();
    const first = await w.next();
    expect(policiesRun(first.outcome)).toEqual(["disallow-privileged-containers", "no-wildcard-verbs", "require-app-name-label"]);

    const file = path.join(w.dir, "policies/require-app-name-label.ts");
    const source = readFileSync(file, "utf8");
    // Break a case: the labelled Deployment is now expected to be denied.
    writeFileSync(
      file,
      source.replace(
        '{ resource: "fixtures/deployment-labelled.yaml", expect: "allow" }',
        '{ resource: "fixtures/deployment-labelled.yaml", expect: "deny" }',
      ),
    );
    const edited = await w.next();
    expect(edited.changed).toEqual([file]);
    expect(policiesRun(edited.outcome)).toEqual(["require-app-name-label"]);
    expect(edited.outcome.status === "ran" && edited.outcome.report.summary.failed).toBeGreaterThan(0);

    writeFileSync(file, "export default definePolicy({ name: ");
    const broken = await w.next();
    expect(broken.outcome.status).toBe("invalid");

    writeFileSync(file, source);
    const fixed = await w.next();
    expect(policiesRun(fixed.outcome)).toEqual(["require-app-name-label"]);
    expect(fixed.outcome.status === "ran" && fixed.outcome.report.summary.failed).toBe(0);

    // A fixture change re-runs the policies whose cases read it.
    const fixture = path.join(w.dir, "policies/fixtures/pod-privileged.yaml");
    writeFileSync(fixture, readFileSync(fixture, "utf8") + "\n");
    const refixtured = await w.next();
    expect(policiesRun(refixtured.outcome)).toEqual(["disallow-privileged-containers", "require-app-name-label"]);
    await w.stop();
  });

  it("a helper module's change reaches the policies importing it", { timeout: 120_000 }, async () => {
    const w = startWatch();
    await w.next();
    writeFileSync(path.join(w.dir, "policies/_labels.ts"), 'export const LABEL = "app.kubernetes.io/name";\n');
    const file = path.join(w.dir, "policies/require-app-name-label.ts");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace('const LABEL = "app.kubernetes.io/name";', 'import { LABEL } from "./_labels.ts";'),
    );
    const uses = await w.next();
    expect(uses.outcome.status).toBe("ran");
    writeFileSync(path.join(w.dir, "policies/_labels.ts"), 'export const LABEL = "example.com/name";\n');
    const helper = await w.next();
    expect(helper.changed).toEqual([path.join(w.dir, "policies/_labels.ts")]);
    expect(policiesRun(helper.outcome)).toEqual(["require-app-name-label"]);
    // The new label is not on the labelled fixture: its allow case now fails.
    expect(helper.outcome.status === "ran" && helper.outcome.report.summary.failed).toBeGreaterThan(0);
    await w.stop();
  });

  it(
    "follows a file saved by writing a new file and renaming it over the old (editors, sed -i), save after save",
    { timeout: 120_000 },
    async () => {
      const w = startWatch();
      await w.next();
      const file = path.join(w.dir, "policies/require-app-name-label.ts");
      const source = readFileSync(file, "utf8");
      const save = (text: string) => {
        writeFileSync(`${file}.tmp`, text);
        renameSync(`${file}.tmp`, file);
      };
      save(
        source.replace(
          '{ resource: "fixtures/deployment-labelled.yaml", expect: "allow" }',
          '{ resource: "fixtures/deployment-labelled.yaml", expect: "deny" }',
        ),
      );
      const first = await w.next();
      expect(policiesRun(first.outcome)).toEqual(["require-app-name-label"]);
      expect(first.outcome.status === "ran" && first.outcome.report.summary.failed).toBeGreaterThan(0);
      // The second save replaces the file again: a watch on the first file's inode would never see it.
      save(source);
      const second = await w.next();
      expect(second.changed).toContain(file);
      expect(second.outcome.status === "ran" && second.outcome.report.summary.failed).toBe(0);
      save(source.replace("require-app-name-label", "require-app-name-label-2"));
      const third = await w.next();
      expect(policiesRun(third.outcome)).toEqual(["require-app-name-label-2"]);
      await w.stop();
    },
  );

  it("survives its folder disappearing and returning (a branch switch)", { timeout: 120_000 }, async () => {
    const w = startWatch();
    await w.next();
    const policies = path.join(w.dir, "policies");
    const saved = path.join(w.dir, "saved");
    renameSync(policies, saved);
    const gone = await w.next();
    expect(gone.outcome.status).toBe("invalid");
    cpSync(saved, policies, { recursive: true });
    const back = await w.next();
    expect(policiesRun(back.outcome)).toEqual(["disallow-privileged-containers", "no-wildcard-verbs", "require-app-name-label"]);
    // And it still follows edits inside the folder that came back.
    const file = path.join(policies, "no-wildcard-verbs.ts");
    writeFileSync(file, readFileSync(file, "utf8") + "\n");
    const edited = await w.next();
    expect(edited.changed).toContain(file);
    await w.stop();
  });
});
