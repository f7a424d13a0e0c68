/** The issue codes this layer raises (running cases, suites and apply); see ir/issue.ts. */
import "../ir/index.js";

declare module "../ir/index.js" {
  interface IssueCodes {
    invalid_test_case: true;
    invalid_fixture: true;
    invalid_suite: true;
    invalid_config: true;
    missing_file: true;
    /** A ConstraintTemplate of a user's suite or --policy that does not compile. */
    invalid_template: true;
    /** The engines were not built (npm run setup:engines). */
    engine_missing: true;
    /** An engine rejected a document policyc generated (a policyc bug). */
    generated_code_error: true;
    /** apply's second process (a large run's other half) failed. */
    process_failed: true;
  }
}
