// policyc as the bin script runs it, from the sources: for tests that spawn a real process
// (standard input from a pipe, signals, closed stdout).
import { runProcess } from "../../src/cli/index.js";

await runProcess();
