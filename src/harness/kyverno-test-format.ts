/**
 * The Kyverno CLI's test format, field by field (Kyverno's `cmd/cli/kubectl-kyverno/apis/v1alpha1`:
 * Test, TestResult, TestResourceSpec, Values, Context, UserInfo, APICallResponseEntry,
 * GlobalContextEntryValue). Every field is either read by policyc or refused by name: a file
 * holding a field of neither kind, or one policyc cannot evaluate, is a located `invalid_suite`
 * error naming it, never a test that silently means something else. docs/suites.md lists them.
 */
import type { FieldTable } from "./suite-fields.js";

export { unreadField, type FieldRule, type FieldTable } from "./suite-fields.js";

const MUTATION = "generation results are not evaluated by policyc (policyc tests validation and mutation)";
const KINDS_NOT_EVALUATED = (kind: string) =>
  `policyc evaluates ValidatingPolicies, ClusterPolicies (validate.cel), ValidatingAdmissionPolicies, MutatingPolicies and MutatingAdmissionPolicies; ${kind} rows are not evaluated`;

/** `resourceSpecs` entries: a resource by its group, version, kind, namespace and name. */
export const RESOURCE_SPEC: FieldTable = {
  group: true,
  version: true,
  kind: true,
  namespace: true,
  name: true,
  subresource: { refused: "subresource requests are not evaluated by policyc" },
};

/** A `results` row (TestResultBase, TestResultData and the deprecated fields). */
export const RESULT: FieldTable = {
  policy: true,
  rule: true,
  result: true,
  status: true,
  kind: true,
  resources: true,
  resource: true,
  resourceSpecs: { list: RESOURCE_SPEC },
  namespace: true,
  operation: true,
  resourceOperation: true,
  isValidatingAdmissionPolicy: true,
  isValidatingPolicy: true,
  isMutatingAdmissionPolicy: true,
  isMutatingPolicy: true,
  isGeneratingPolicy: { refused: KINDS_NOT_EVALUATED("GeneratingPolicy") },
  isDeletingPolicy: { refused: KINDS_NOT_EVALUATED("DeletingPolicy") },
  isImageValidatingPolicy: { refused: KINDS_NOT_EVALUATED("ImageValidatingPolicy") },
  patchedResources: true,
  patchedResource: true,
  generatedResource: { refused: MUTATION },
  generatedResources: { refused: MUTATION },
  failOnMissingResources: { refused: MUTATION },
  cloneSourceResource: { refused: MUTATION },
};

/** Values (the `variables` file, or the test's inline `values`): what CEL policies read of them. */
export const VALUES: FieldTable = {
  apiVersion: true,
  kind: true,
  metadata: "free",
  globalValues: true,
  policies: {
    list: {
      name: true,
      resources: { list: { name: true, values: true } },
      rules: { refused: "per-rule values feed JMESPath variables of pattern rules, which policyc does not evaluate" },
    },
  },
  namespaceSelector: { list: { name: true, labels: true } },
  namespaces: true,
  subresources: { refused: "subresource requests are not evaluated by policyc" },
  variables: {
    refused: "values for a ValidatingPolicy's variables replace what its expressions compute; policyc evaluates the expressions",
  },
};

/** The test file itself (Test). */
export const TEST: FieldTable = {
  apiVersion: true,
  kind: true,
  metadata: "free",
  name: true,
  policies: true,
  resources: true,
  oldResources: true,
  exceptions: true,
  variables: true,
  values: { object: VALUES },
  userinfo: true,
  context: true,
  paramResources: true,
  clusterResources: true,
  apiCallResponses: {
    list: { url: true, urlPath: true, method: true, response: { object: { statusCode: true, body: "free" } } },
  },
  globalContextEntries: {
    list: {
      name: true,
      data: "free",
      resources: true,
      resourceFiles: true,
      fieldPath: true,
      projections: { list: { name: true, path: true } },
    },
  },
  results: { list: RESULT },
  checks: { refused: "assertion-tree checks (kyverno-json) are not evaluated by policyc: write results rows" },
  jsonPayload: true,
  jsonPayloads: true,
  httpPayloads: true,
  envoyPayloads: true,
  targetResources: { refused: "mutate-existing rules are not evaluated by policyc" },
  attestations: { refused: "verifyImages attestations are not evaluated by policyc" },
};

/** The `userinfo` file (UserInfo: a RequestInfo). */
export const USER_INFO: FieldTable = {
  apiVersion: true,
  kind: true,
  metadata: "free",
  userInfo: { object: { username: true, uid: true, groups: true, extra: true } },
  roles: { refused: "roles feed request.roles of JMESPath rules, which policyc does not evaluate" },
  clusterRoles: { refused: "clusterRoles feed request.clusterRoles of JMESPath rules, which policyc does not evaluate" },
  dryRun: true,
};

/** The `context` file (Context): what Kyverno's CEL libraries read. */
export const CONTEXT: FieldTable = {
  apiVersion: true,
  kind: true,
  metadata: "free",
  spec: {
    object: {
      resources: true,
      images: true,
      globalContext: { list: { name: true, projection: true, value: "free", valueFile: true } },
      http: { list: { method: true, url: true, status: true, statusCode: true, headers: true, body: "free", bodyFile: true } },
    },
  },
};

/** A `clusterResources` file's ClusterResource (cli.kyverno.io): CRD files and objects of the cluster. */
export const CLUSTER_RESOURCE: FieldTable = {
  apiVersion: true,
  kind: true,
  metadata: "free",
  spec: { object: { crds: true, resources: true } },
};
