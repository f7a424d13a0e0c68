import { z } from "zod";
import { authorizerAnswerSchema, operationSchema, userInfoSchema } from "../kube/index.js";

/** A Kubernetes object in a test case: a path to a YAML manifest (relative to the policy file) or inline. */
const caseObjectSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
export type CaseObject = z.infer<typeof caseObjectSchema>;

/**
 * A test case kept with its policy and run by `policyc test` on every engine: the one definition
 * the SDK's types and the harness's validation share. `resource` is a path (relative to the
 * policy file) to a YAML manifest (every document in it is a resource of the case), or an
 * inline object, or a list of either.
 */
export const testCaseSchema = z
  .object({
    name: z.string().min(1).optional(),
    resource: z.union([caseObjectSchema, z.array(caseObjectSchema).min(1)]),
    /**
     * allow: the policy applies and passes; deny: it applies and is violated (whatever the
     * enforcement action); skip: it does not apply (match, operation or precondition).
     */
    expect: z.enum(["allow", "deny", "skip"]),
    /** Substring expected in one of the violation messages (deny only). */
    message: z.string().optional(),
    /** Exact number of violations expected (deny only). */
    violations: z.number().int().min(1).optional(),
    /** Which instance's parameters to use, for policies with several (default: the first). */
    instance: z.string().optional(),
    operation: operationSchema.optional(),
    /** The existing object, for UPDATE and DELETE. */
    oldResource: caseObjectSchema.optional(),
    /** The requesting user (default: username policyc-test, group system:authenticated). */
    userInfo: userInfoSchema.optional(),
    /** Namespace objects, for namespace selectors (a namespace not given has only its kubernetes.io/metadata.name label). */
    namespaces: z.array(caseObjectSchema).optional(),
    /**
     * The cluster the case runs in: the objects its policy looks up (`ctx.cluster`), and params
     * objects. Files (every document; List items) or inline objects; Namespaces among them are the
     * cluster's namespaces. Every engine sees exactly these; a kind not among them has no objects.
     */
    cluster: z.array(caseObjectSchema).optional(),
    /** The same as `cluster` (its earlier name). */
    objects: z.array(caseObjectSchema).optional(),
    /** Authorizer answers for CEL `authorizer` checks (default: every check denied). */
    authorizer: z.array(authorizerAnswerSchema).optional(),
  })
  .strict();

export type TestCase = Readonly<z.input<typeof testCaseSchema>>;
export type { UserInfo, AuthorizerAnswer } from "../kube/index.js";
