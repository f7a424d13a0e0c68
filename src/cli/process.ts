/**
 * policyc as a process: the Io of the real terminal, standard streams and environment, around
 * runCli. The bin script and the tests that spawn policyc both start here.
 */
import type { Readable } from "node:stream";
import { APPLY_LIMITS } from "../harness/index.js";
import { runCli } from "./main.js";

/**
 * Reads a stream to its end. Standard input may be a pipe whose producer is slow (`helm template |
 * policyc apply -`): it is read as a stream, never with a synchronous read, which fails with
 * EAGAIN on a non-blocking pipe that has no data yet.
 */
export async function readStream(stream: Readable, maxBytes: number = APPLY_LIMITS.inputBytes): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(b);
    size += b.length;
    // Past the limit, reading stops (an endless producer, /dev/zero): the reader refuses the text by its size.
    if (size > maxBytes) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs policyc on `process.argv` and sets the exit code. */
export async function runProcess(): Promise<void> {
  // A reader that closes early (`policyc … | head`) must not turn the exit code into a crash's:
  // the rest of the output is dropped, the code policyc decided stands.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  const code = await runCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    isTTY: Boolean(process.stderr.isTTY),
    outIsTTY: Boolean(process.stdout.isTTY),
    ci: Boolean(process.env.CI) && process.env.CI !== "false",
    stdin: () => (process.stdin.isTTY ? Promise.resolve("") : readStream(process.stdin)),
  });
  process.exitCode = code;
}
