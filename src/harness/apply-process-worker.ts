/**
 * apply's second process (apply-processes.ts): runs its part of the run from the options file and
 * writes the outcome (writeOutcome: its rows a line each). SIGTERM (the first process was stopped by a signal) stops it between
 * resources, and the rows it decided are written.
 */
import { readFileSync } from "node:fs";
import { runApply, type ApplyOptions } from "./apply.js";
import { writeOutcome } from "./apply-processes.js";

const [optionsFile, outcomeFile] = process.argv.slice(2) as [string, string];
// Set by the entry (apply-process-entry.js), which hears SIGTERM from its start.
const signal = (globalThis as { [key: symbol]: AbortSignal | undefined })[Symbol.for("policyc.apply.stop")] ?? new AbortController().signal;
const options = JSON.parse(readFileSync(optionsFile, "utf8")) as ApplyOptions;
const outcome = await runApply({ ...options, signal });
writeOutcome(outcomeFile, outcome);
process.exit(0);
