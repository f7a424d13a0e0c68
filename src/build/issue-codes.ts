/** The issue codes this layer raises (a build); see ir/issue.ts. */
import "../ir/index.js";

declare module "../ir/index.js" {
  interface IssueCodes {
    /** An exception names a policy no policy file exports. */
    unknown_policy: true;
    /** An exception past its `expires` date (a warning, an error with --strict). */
    expired_exception: true;
    /** policyc failed where it should not (a bug). */
    internal_error: true;
  }
}
