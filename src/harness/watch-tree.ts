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
  const watchers = new Map<string, FSWatcher>();
  /** The inode each watched directory had: a directory removed and made again is a new one to watch. */
  const inodes = new Map<string, number>();
  const missing = new Set<string>();

  const watchDir = (dir: string, only?: string): void => {
    if (watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, (_event, name) => {
        if (!name) return;
        const file = path.join(dir, name.toString());
        if (only && file !== only) return;
        if (!only && !SKIPPED.has(path.basename(file)) && isDirectory(file)) watchAll(file);
        onChange(file);
      });
    } catch {
      return;
    }
    // The directory went away: forget it (its root, if it was one, is looked for again).
    w.on("error", () => forget(dir));
    watchers.set(dir, w);
    inodes.set(dir, inodeOf(dir));
  };

  const watchAll = (dir: string): void => {
    watchDir(dir);
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !SKIPPED.has(e.name))
        .map((e) => path.join(dir, e.name));
    } catch {
      return;
    }
    for (const sub of entries) watchAll(sub);
  };

  const forget = (dir: string): void => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
    inodes.delete(dir);
  };

  const start = (root: string): boolean => {
    if (!existsSync(root)) return false;
    if (isDirectory(root)) watchAll(root);
    else watchDir(path.dirname(root), root);
    return true;
  };

  for (const root of roots) if (!start(root)) missing.add(root);
  const poll = setInterval(() => {
    for (const root of roots) {
      const present = existsSync(root);
      if (!present && !missing.has(root)) {
        // Gone: forget every watcher inside it; report it, so the run says what is missing.
        for (const dir of [...watchers.keys()]) if (dir === root || dir.startsWith(root + path.sep)) forget(dir);
        missing.add(root);
        onChange(root);
      } else if (present && missing.has(root) && start(root)) {
        missing.delete(root);
        onChange(root);
      }
    }
    // Directories removed (or removed and made again) inside a root: their watchers are stale.
    for (const dir of [...watchers.keys()]) {
      if (!watchers.has(dir)) continue;
      const ino = inodeOf(dir);
      if (ino === inodes.get(dir)) continue;
      for (const inner of [...watchers.keys()]) if (inner === dir || inner.startsWith(dir + path.sep)) forget(inner);
      if (ino !== -1) {
        watchAll(dir);
        onChange(dir);
      }
    }
  }, POLL_MS);

  return {
    close() {
      clearInterval(poll);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
