export { runCli } from "./main.js";
export { runProcess, readStream } from "./process.js";
export type { Io } from "./output.js";
