/** The issue codes this layer raises (the output directory and paths); see ir/issue.ts. */
import "../ir/index.js";

declare module "../ir/index.js" {
  interface IssueCodes {
    /** The output directory holds a file policyc did not write. */
    unowned_output_file: true;
    /** Another build holds the output directory's lock. */
    output_locked: true;
    /** A path given (policies, output, inputs) is not what it must be. */
    invalid_path: true;
  }
}
