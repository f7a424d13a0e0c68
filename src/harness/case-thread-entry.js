// The entry of the second case thread (case-thread.ts): its worker, from the sources or the build.
import { importWorker } from "./worker-import.js";

await importWorker("case-thread-worker");
