export { runCli } from "./main.js";
export type { Io } from "./output.js";
