import { formatIssue, type Issue } from "../ir/index.js";

export type IssueReporter = "pretty" | "json";

/** Writes issues to stderr (pretty) or as one JSON object on stdout. */
export function reportIssues(issues: readonly Issue[], reporter: IssueReporter, io: Io): void {
  if (reporter === "json") io.out(JSON.stringify({ issues }, null, 2) + "\n");
  else for (const i of issues) io.err(formatIssue(i) + "\n");
}

/** Where a command writes; tests pass their own. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly cwd: string;
  /** Whether stderr is a terminal (progress lines, colour of messages). */
  readonly isTTY: boolean;
  /** Whether stdout is a terminal (colour of reports written there). */
  readonly outIsTTY?: boolean;
  /** Running in CI (the CI environment variable): phases print one line each on stderr. */
  readonly ci?: boolean;
  /** Standard input, for `apply -`. */
  readonly stdin?: () => Promise<string>;
}

export const EXIT = { ok: 0, failed: 1, invalid: 2, internal: 3 } as const;

/** `--load-timeout <seconds>`: how long one policy module may take to import. */
export const LOAD_TIMEOUT_FLAG = ["--load-timeout <seconds>", "time limit of importing one policy module", "30"] as const;

/** Seconds given on the command line as milliseconds; an error naming the flag when they are not a positive number. */
export function secondsFlag(flag: string, value: string): number {
  const ms = Number(value) * 1000;
  if (!(ms > 0) || !Number.isFinite(ms)) throw new Error(`${flag} must be a positive number of seconds (got "${value}")`);
  // Node's timers hold at most 2^31-1 ms; a longer one fires at once.
  if (ms > MAX_TIMER_MS)
    throw new Error(`${flag} must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days; got "${value}")`);
  return ms;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
