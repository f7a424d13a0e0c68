import type { SourceLocation } from "../ir/index.js";

/** Files of the SDK itself; frames from these are skipped when locating the user's call. */
const SDK_DIR = new URL(".", import.meta.url).href;
const FRAME = /\(?((?:file:\/\/)?\/[^\s()]+?):(\d+):(\d+)\)?$/;

/**
 * The place in the user's policy file that called into the SDK. Policy files are loaded with
 * their types stripped in place (see `load/`), so stack positions are the source positions.
 */
export function callerLocation(): SourceLocation {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace(holder, callerLocation);
  Error.stackTraceLimit = limit;
  for (const line of (holder.stack ?? "").split("\n").slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    // Policy modules are imported with a `?mtime=` query (see load/), which is not part of the file.
    const url = (m[1]!.startsWith("file://") ? m[1]! : `file://${m[1]!}`).replace(/\?[^/]*$/, "");
    if (url.startsWith(SDK_DIR) || url.includes("/node_modules/zod/")) continue;
    return { file: decodeURIComponent(url.slice("file://".length)), line: Number(m[2]), column: Number(m[3]) };
  }
  return UNKNOWN_LOCATION;
}

export const UNKNOWN_LOCATION: SourceLocation = { file: "<unknown>", line: 0, column: 0 };
