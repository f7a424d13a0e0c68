export { emitYaml, outputPath, GENERATED_MARKER, SYNC_CONFIG_PATH } from "./yaml.js";
export {
  writeFilesAtomically,
  readOutputDir,
  diffOutput,
  unownedFiles,
  type FileSet,
  type Drift,
  type WriteOptions,
} from "./write-atomic.js";
