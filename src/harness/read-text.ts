/**
 * The one way the harness reads a text file a user names or a folder holds (fixtures, apply's
 * inputs, templates, suites, values, context files, configuration): opened without blocking,
 * refused unless it is a regular file (a FIFO would wait forever, /dev/zero would fill memory),
 * bounded in size.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";

/** The largest text file read this way (suites, values and configuration are small). */
export const TEXT_FILE_LIMIT = 8 * 1024 * 1024;

export type TextRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly missing: boolean; readonly tooLarge?: boolean; readonly message: string };

export function readTextFile(file: string, maxBytes: number = TEXT_FILE_LIMIT): TextRead {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === "ENOENT", message: code === "ENOENT" ? "file not found" : `cannot be read (${code})` };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, missing: false, message: "is a directory, not a file" };
    if (!st.isFile())
      return { ok: false, missing: false, message: "is not a regular file (a FIFO, device or socket); policyc reads files" };
    if (st.size > maxBytes) {
      const mib = st.size / 2 ** 20;
      const size = Number.isInteger(mib) ? String(mib) : mib.toFixed(1);
      return {
        ok: false,
        missing: false,
        tooLarge: true,
        message: `the file is ${size} MiB; policyc reads such files up to ${maxBytes / 2 ** 20} MiB`,
      };
    }
    return { ok: true, text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}
