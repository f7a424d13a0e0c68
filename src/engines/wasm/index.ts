/** Loading the Go-built WebAssembly engines: where they are, and node:wasi set up safely. */
export { locateEngines, EngineMissingError, PACKAGE_ROOT, SETUP_COMMAND, type Engines, type EngineManifest } from "./locate.js";
export { loadWasi } from "./wasi.js";
