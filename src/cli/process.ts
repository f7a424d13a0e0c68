/**
 * policyc as a process: the Io of the real terminal, standard streams and environment, around
 * runCli. The bin script and the tests that spawn policyc both start here.
 */
import type { Readable } from "node:stream";
import { runCli } from "./main.js";

/**
 * Reads a stream to its end. Standard input may be a pipe whose producer is slow (`helm template |
 * policyc apply -`): it is read as a stream, never with a synchronous read, which fails with
 * EAGAIN on a non-blocking pipe that has no data yet.
 */
export async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs policyc on `process.argv` and sets the exit code. */
export async function runProcess(): Promise<void> {
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
