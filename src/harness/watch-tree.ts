/**
 * Watching folders for changed files, robust to how editors and version control change them:
 * - every directory is watched on its own (never the files): a save that writes a new file and
 *   renames it over the old one (editors, `sed -i`) replaces the file's inode, which a per-file
 *   watch would lose for ever; the directory's watch sees every save;
 * - a directory created later is watched as it appears; one removed is forgotten;
 * - a root that disappears (a branch switch deletes and re-creates the policies folder) is
 *   looked for again until it returns, and its return is reported as a change. The poll also
 *   keeps the process alive, so watching never ends because every watcher closed.
 */
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";

export interface TreeWatcher {
  close(): void;
}

/** Folders never watched: dependencies and version control. */
const SKIPPED = new Set(["node_modules", ".git"]);

/** How often a missing root is looked for (ms). */
const POLL_MS = 200;

const inodeOf = (p: string) => {
  try {
    return statSync(p).ino;
  } catch {
    return -1;
  }
};

const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Watches each root (a folder, or a file: its folder, for that file) and calls `onChange` with
 * the absolute path of each file created, changed, renamed or removed.
 */
export function watchTree(roots: readonly string[], onChange: (file: string) => void): TreeWatcher {
  return new TreeWatch(roots, onChange);
}

class TreeWatch implements TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** The inode each watched directory had: a directory removed and made again is a new one to watch. */
  private readonly inodes = new Map<string, number>();
  private readonly missing = new Set<string>();
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(
    private readonly roots: readonly string[],
    private readonly onChange: (file: string) => void,
  ) {
    for (const root of roots) if (!this.start(root)) this.missing.add(root);
    this.poll = setInterval(() => this.check(), POLL_MS);
  }

  close(): void {
    clearInterval(this.poll);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private start(root: string): boolean {
    if (!existsSync(root)) return false;
    if (isDirectory(root)) this.watchAll(root);
    else this.watchDir(path.dirname(root), root);
    return true;
  }

  private watchDir(dir: string, only?: string): void {
    if (this.watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, (_event, name) => {
        if (!name) return;
        const file = path.join(dir, name.toString());
        if (only && file !== only) return;
        if (!only && !SKIPPED.has(path.basename(file)) && isDirectory(file)) this.watchAll(file);
        this.onChange(file);
      });
    } catch {
      return;
    }
    // The directory went away: forget it (its root, if it was one, is looked for again).
    w.on("error", () => this.forget(dir));
    this.watchers.set(dir, w);
    this.inodes.set(dir, inodeOf(dir));
  }

  private watchAll(dir: string): void {
    this.watchDir(dir);
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !SKIPPED.has(e.name))
        .map((e) => path.join(dir, e.name));
    } catch {
      return;
    }
    for (const sub of entries) this.watchAll(sub);
  }

  private forget(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
    this.inodes.delete(dir);
  }

  /** Forgets every watcher at or under a folder. */
  private forgetUnder(dir: string): void {
    for (const inner of [...this.watchers.keys()]) if (inner === dir || inner.startsWith(dir + path.sep)) this.forget(inner);
  }

  /** Roots that went away or came back; folders removed, or removed and made again. */
  private check(): void {
    for (const root of this.roots) {
      const present = existsSync(root);
      if (!present && !this.missing.has(root)) {
        // Gone: report it, so the run says what is missing.
        this.forgetUnder(root);
        this.missing.add(root);
        this.onChange(root);
      } else if (present && this.missing.has(root) && this.start(root)) {
        this.missing.delete(root);
        this.onChange(root);
      }
    }
    for (const dir of [...this.watchers.keys()]) {
      if (!this.watchers.has(dir)) continue;
      const ino = inodeOf(dir);
      if (ino === this.inodes.get(dir)) continue;
      this.forgetUnder(dir);
      if (ino !== -1) {
        this.watchAll(dir);
        this.onChange(dir);
      }
    }
  }
}
