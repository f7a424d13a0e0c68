import type { SourceLocation } from "../ir/index.js";

/**
 * Files of policyc itself (the SDK, and the library that calls it); frames from these are
 * skipped when locating the user's call.
 */
const SDK_DIR = new URL("..", import.meta.url).href;

/**
 * The place in the user's policy file that called into the SDK. Policy files are loaded with
 * their types stripped in place (see `load/`), so stack positions are the source positions.
 */
export function callerLocation(): SourceLocation {
  // Structured call sites: no stack text is formatted or parsed (this runs for every SDK call).
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 30;
  Error.prepareStackTrace = (_error, sites) => sites;
  try {
    Error.captureStackTrace(holder, callerLocation);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    for (const site of Array.isArray(sites) ? sites : []) {
      const name = site.getFileName();
      if (!name) continue;
      // Policy modules are imported with a `?mtime=` query (see load/), which is not part of the file.
      const url = (name.startsWith("file://") ? name : `file://${name}`).replace(/\?[^/]*$/, "");
      if (url.startsWith(SDK_DIR) || url.includes("/node_modules/zod/") || !url.startsWith("file:///")) continue;
      return {
        file: decodeURIComponent(url.slice("file://".length)),
        line: site.getLineNumber() ?? 0,
        column: site.getColumnNumber() ?? 0,
      };
    }
    return UNKNOWN_LOCATION;
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
}

export const UNKNOWN_LOCATION: SourceLocation = { file: "<unknown>", line: 0, column: 0 };

/** Where in a policy file an error was thrown (the first frame outside the SDK), if it was. */
export function errorLocation(e: unknown): SourceLocation | undefined {
  const stack = e instanceof Error ? (e.stack ?? "") : "";
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const url = (m[1]!.startsWith("file://") ? m[1]! : `file://${m[1]}`).replace(/\?[^/]*$/, "");
    if (url.startsWith(SDK_DIR) || url.includes("/node_modules/")) continue;
    return { file: decodeURIComponent(url.slice("file://".length)), line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
