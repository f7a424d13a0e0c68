import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { issue, type Issue } from "../ir/index.js";
import { GENERATED_MARKER } from "./yaml.js";

/** Files of an output directory: relative POSIX path → content. */
export type FileSet = ReadonlyMap<string, string>;

/**
 * The regular files of an output directory. Anything else inside it (a FIFO, a device, a socket,
 * a symbolic link) is never read, which could hang or follow a link out: it is an issue.
 */
export function scanOutputDir(dir: string): { files: Map<string, string>; issues: Issue[] } {
  const files = new Map<string, string>();
  const issues: Issue[] = [];
  if (!existsSync(dir)) return { files, issues };
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full, r);
      else if (e.isFile()) files.set(r, readFileSync(full, "utf8"));
      else
        issues.push(
          issue(
            "unowned_output_file",
            `${full} is ${e.isSymbolicLink() ? "a symbolic link" : e.isFIFO() ? "a FIFO" : e.isSocket() ? "a socket" : "a device"}, not a file policyc wrote; the output directory belongs to policyc (remove it, or choose another --out)`,
            undefined,
          ),
        );
    }
  };
  walk(dir, "");
  return { files, issues };
}

export function readOutputDir(dir: string): Map<string, string> {
  return scanOutputDir(dir).files;
}

/** Files in the output directory that policyc did not write (no generated-by header). */
export function unownedFiles(existing: FileSet): string[] {
  return [...existing.entries()]
    .filter(([, c]) => !c.startsWith(GENERATED_MARKER))
    .map(([f]) => f)
    .sort();
}

export interface Drift {
  readonly stale: string[];
  readonly missing: string[];
  readonly extra: string[];
}

export function diffOutput(existing: FileSet, wanted: FileSet): Drift {
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [f, c] of wanted) {
    const had = existing.get(f);
    if (had === undefined) missing.push(f);
    else if (had !== c) stale.push(f);
  }
  const extra = [...existing.keys()].filter((f) => !wanted.has(f));
  return { stale: stale.sort(), missing: missing.sort(), extra: extra.sort() };
}

/** The steps of a swap, in order; a crash after any of them is finished or rolled back by the next command. */
export const SWAP_STEPS = ["written", "journaled", "old-moved", "new-moved", "unjournaled"] as const;
export type SwapStep = (typeof SWAP_STEPS)[number];

export interface WriteOptions {
  /** Called after each step of the swap (tests inject crashes and failures here). */
  readonly after?: (step: SwapStep) => void;
  /** How long to wait for another policyc writing the same directory (default 60 s). */
  readonly lockTimeoutMs?: number;
}

/** Where the output directory really is: an `--out` that is a symbolic link is followed, the link kept. */
export function outputTarget(dir: string): { dir: string } | { issue: Issue } {
  const abs = path.resolve(dir);
  if (abs === path.parse(abs).root)
    return { issue: issue("invalid_path", `--out ${dir} is the root directory; choose a folder of its own`, undefined) };
  let target = abs;
  try {
    if (lstatSync(abs).isSymbolicLink()) {
      // A dangling link points where the directory will be created.
      target = existsSync(abs) ? realpathSync(abs) : path.resolve(path.dirname(abs), readlinkSync(abs));
    }
  } catch {
    /* does not exist yet */
  }
  if (existsSync(target) && !statSync(target).isDirectory())
    return { issue: issue("invalid_path", `--out ${dir} is a file, not a directory`, undefined) };
  return { dir: target };
}

const journalOf = (dir: string) => path.join(path.dirname(dir), `.${path.basename(dir)}.policyc-swap.json`);
const lockOf = (dir: string) => path.join(path.dirname(dir), `.${path.basename(dir)}.policyc-lock`);
const tempPrefix = (dir: string) => `.${path.basename(dir)}.policyc-`;

interface Journal {
  readonly tmp: string;
  readonly old: string;
  /** sha256 of the two names: a journal policyc did not write (or one edited) is not followed. */
  readonly sum: string;
}

const journalSum = (tmp: string, old: string) => createHash("sha256").update(`policyc-swap\0${tmp}\0${old}`).digest("hex");

/**
 * The journal's names, when they are the ones a build of `dir` chooses (its temporary prefix, a
 * random hex suffix, the backup named after it) with their checksum; anything else is refused:
 * recovery renames and removes what the journal names, so it must never name another folder.
 */
function trustedJournal(dir: string, raw: unknown): Journal | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const { tmp, old, sum } = raw as Record<string, unknown>;
  if (typeof tmp !== "string" || typeof old !== "string" || typeof sum !== "string") return undefined;
  const prefix = tempPrefix(dir);
  if (!tmp.startsWith(prefix)) return undefined;
  const suffix = tmp.slice(prefix.length);
  if (!/^[0-9a-f]{12}$/.test(suffix) || old !== `${prefix}old-${suffix}` || sum !== journalSum(tmp, old)) return undefined;
  return { tmp, old, sum };
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Finishes or rolls back a swap a crash cut short, then removes leftover temporary directories.
 * A swap is journaled once the new tree is complete: with the journal, the new tree wins when it
 * is whole (it is, or it already took `dir`'s place); without one, the old tree stays.
 */
export function recoverOutputDir(dir: string): Issue | undefined {
  const journal = journalOf(dir);
  if (existsSync(journal)) {
    let j: Journal | undefined;
    let parsed = true;
    try {
      const st = lstatSync(journal);
      // Never read a FIFO or follow a link: the journal is a small regular file policyc wrote.
      j = st.isFile() && st.size < 4096 ? trustedJournal(dir, JSON.parse(readFileSync(journal, "utf8"))) : undefined;
    } catch {
      parsed = false;
      j = undefined;
    }
    // A journal that parses but names anything but this output's own temporary trees moves nothing.
    if (!j && parsed)
      return issue(
        "invalid_path",
        `${journal} is not a swap journal policyc wrote for ${dir} (it names other paths, or its checksum does not match); nothing was moved: remove it after checking ${path.basename(dir)}/`,
        undefined,
      );
    if (j) {
      const tmp = path.join(path.dirname(dir), path.basename(j.tmp));
      const old = path.join(path.dirname(dir), path.basename(j.old));
      if (existsSync(tmp)) {
        // The new tree is complete (it was journaled): finish the swap.
        if (existsSync(dir)) {
          if (!existsSync(old)) renameSync(dir, old);
          else rmSync(dir, { recursive: true, force: true });
        }
        renameSync(tmp, dir);
      } else if (!existsSync(dir) && existsSync(old)) renameSync(old, dir);
    }
    unlinkSync(journal);
  }
  const parent = path.dirname(dir);
  if (!existsSync(parent)) return undefined;
  for (const e of readdirSync(parent))
    if (e.startsWith(tempPrefix(dir)) && e !== path.basename(lockOf(dir))) rmSync(path.join(parent, e), { recursive: true, force: true });
  return undefined;
}

/**
 * Who holds a lock: the process id, when that process started (from /proc, where there is one) and
 * a random token. A lock is stale when its process is gone, or its id now belongs to a process
 * that started at another time (ids are reused, and in a container the next build may get the
 * same one), or it names this very process under another token.
 */
interface LockOwner {
  readonly pid: number;
  readonly started?: string;
  readonly token: string;
}

/** The start time of a process (field 22 of /proc/PID/stat, in clock ticks since boot), where /proc exists. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function lockHeld(owner: LockOwner | undefined, ours: string): boolean {
  if (!owner || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  if (owner.pid === process.pid) return owner.token === ours;
  if (!alive(owner.pid)) return false;
  const started = processStart(owner.pid);
  return owner.started === undefined || started === undefined || started === owner.started;
}

function readOwner(file: string): LockOwner | undefined {
  const text = readFileSafe(file);
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o === "object" && o !== null && typeof o.pid === "number" ? o : undefined;
  } catch {
    // A lock of an earlier policyc: its process id alone.
    return /^\d+$/.test(text) ? { pid: Number(text), token: "" } : undefined;
  }
}

/**
 * Takes the output directory's lock: a second policyc waits for the first, then goes on. While it
 * is held, SIGINT and SIGTERM wait for the synchronous write to end (the lock is then released),
 * and end the process as the signal would have.
 */
function lock(dir: string, timeoutMs: number): { release: () => void } | { issue: Issue } {
  const file = lockOf(dir);
  const started = Date.now();
  const token = randomBytes(8).toString("hex");
  const me: LockOwner = { pid: process.pid, token, ...(processStart(process.pid) ? { started: processStart(process.pid)! } : {}) };
  for (;;) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: "wx" });
      const signals = ["SIGINT", "SIGTERM"] as const;
      const onSignal = (signal: NodeJS.Signals) => {
        if (readOwner(file)?.token === token) rmSync(file, { force: true });
        process.exit(128 + (signal === "SIGINT" ? 2 : 15));
      };
      const release = () => {
        if (readOwner(file)?.token === token) rmSync(file, { force: true });
        // A signal that arrived during the (synchronous) swap is dispatched by the event loop's
        // next poll: the handler stays until then (two turns of the loop), or the signal would be
        // swallowed and the process go on as if it had not been asked to stop.
        setImmediate(() =>
          setImmediate(() => {
            for (const sig of signals) process.removeListener(sig, onSignal);
          }),
        );
      };
      for (const sig of signals) process.once(sig, onSignal);
      return { release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readOwner(file);
    if (!lockHeld(holder, token)) {
      rmSync(file, { force: true }); // left by a process that died (or whose id was reused)
      continue;
    }
    if (Date.now() - started > timeoutMs)
      return {
        issue: issue(
          "output_locked",
          `${dir} is being written by another policyc (process ${holder!.pid}, lock ${file}); try again when it is done`,
          undefined,
        ),
      };
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A file-system error the user causes (a read-only directory, no permission) as a located issue. */
function fsIssue(e: unknown, dir: string): Issue {
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === "EACCES" || err.code === "EPERM" ? "permission denied" : err.code === "EROFS" ? "read-only file system" : err.message;
  return issue("invalid_path", `cannot write ${err.path ?? dir}: ${why}`, undefined);
}

/**
 * Finishes or rolls back an interrupted swap of `dir` and removes what a crash left beside it
 * (under its lock, which a dead process's lock file does not hold), before reading it: what
 * `build --check` does. Answers the directory really written (an `--out` link followed).
 */
export function settleOutputDir(dir0: string): { dir: string } | { issue: Issue } {
  const target = outputTarget(dir0);
  if ("issue" in target) return target;
  const parent = path.dirname(target.dir);
  const leftovers = existsSync(parent) && readdirSync(parent).some((e) => e.startsWith(tempPrefix(target.dir)));
  if (!existsSync(journalOf(target.dir)) && !leftovers) return target;
  const held = lock(target.dir, 60_000);
  if ("issue" in held) return held;
  try {
    const refused = recoverOutputDir(target.dir);
    if (refused) return { issue: refused };
  } finally {
    held.release();
  }
  return target;
}

/**
 * Replaces `dir` with exactly `files`. Everything is written to a temporary directory beside it
 * (same file system); once complete, the swap is journaled, the old tree moved aside and the new
 * one moved into place. A crash at any point leaves the old set or the new one, never a mix or
 * nothing: the next command finishes or rolls back the journaled swap (`recoverOutputDir`).
 * Concurrent writers are serialised by a lock file. Refuses to run when `dir` holds files policyc
 * did not write.
 */
export function writeFilesAtomically(dir0: string, files: FileSet, options: WriteOptions = {}): { changed: boolean; issues: Issue[] } {
  const target = outputTarget(dir0);
  if ("issue" in target) return { changed: false, issues: [target.issue] };
  const dir = target.dir;
  const parent = path.dirname(dir);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    return { changed: false, issues: [fsIssue(e, parent)] };
  }
  let held: { release: () => void } | { issue: Issue };
  try {
    held = lock(dir, options.lockTimeoutMs ?? 60_000);
  } catch (e) {
    return { changed: false, issues: [fsIssue(e, parent)] };
  }
  if ("issue" in held) return { changed: false, issues: [held.issue] };
  try {
    const refused = recoverOutputDir(dir);
    if (refused) return { changed: false, issues: [refused] };
    const scanned = scanOutputDir(dir);
    const foreign = unownedFiles(scanned.files);
    if (scanned.issues.length || foreign.length > 0) {
      return {
        changed: false,
        issues: [
          ...scanned.issues,
          ...foreign.map((f) =>
            issue(
              "unowned_output_file",
              `${path.join(dir, f)} was not written by policyc; the output directory belongs to policyc (move the file, or choose another --out)`,
              undefined,
            ),
          ),
        ],
      };
    }
    const drift = diffOutput(scanned.files, files);
    if (existsSync(dir) && drift.stale.length + drift.missing.length + drift.extra.length === 0) return { changed: false, issues: [] };
    const suffix = randomBytes(6).toString("hex");
    const tmp = path.join(parent, `${tempPrefix(dir)}${suffix}`);
    const old = path.join(parent, `${tempPrefix(dir)}old-${suffix}`);
    const after = options.after ?? (() => {});
    try {
      mkdirSync(tmp);
      for (const [rel, content] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const file = path.join(tmp, rel);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
      after("written");
      const names = { tmp: path.basename(tmp), old: path.basename(old) };
      writeDurably(journalOf(dir), JSON.stringify({ ...names, sum: journalSum(names.tmp, names.old) } satisfies Journal));
      after("journaled");
      if (existsSync(dir)) renameSync(dir, old);
      after("old-moved");
      renameSync(tmp, dir);
      after("new-moved");
      unlinkSync(journalOf(dir));
      after("unjournaled");
    } catch (e) {
      // A failure (not a crash) before the new tree is in place: put the old one back.
      if (!existsSync(dir) && existsSync(old)) renameSync(old, dir);
      rmSync(journalOf(dir), { force: true });
      if ((e as NodeJS.ErrnoException).code) return { changed: false, issues: [fsIssue(e, dir)] };
      throw e;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(old, { recursive: true, force: true });
    }
    return { changed: true, issues: [] };
  } finally {
    held.release();
  }
}
