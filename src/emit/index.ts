import "./issue-codes.js";
export { emitYaml, documentYaml, outputPath, GENERATED_MARKER, SYNC_CONFIG_PATH } from "./yaml.js";
export {
  writeFilesAtomically,
  readOutputDir,
  scanOutputDir,
  settleOutputDir,
  recoverOutputDir,
  outputTarget,
  diffOutput,
  unownedFiles,
  SWAP_STEPS,
  type SwapStep,
  type FileSet,
  type Drift,
  type WriteOptions,
} from "./write-atomic.js";
