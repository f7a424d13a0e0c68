/** The issue codes this layer raises (policy files that do not load); see ir/issue.ts. */
import "../ir/index.js";

declare module "../ir/index.js" {
  interface IssueCodes {
    /** A policy module failed to import (threw, exited, hung). */
    policy_load_error: true;
    /** A policy file exports no policy or exception. */
    no_policy_exported: true;
    /** `--typecheck`: TypeScript's own diagnostics. */
    type_error: true;
  }
}
