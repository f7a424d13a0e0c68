/**
 * The `reference` engine: policyc's own reading of a lowered policy (the IR), independent of any
 * backend; the cross-engine check compares the CEL and Rego outputs against it.
 */
import { instanceName, type Policy } from "../../ir/index.js";
import { namespaceLabels, subjectObject } from "../../kube/index.js";
import { failure, skip, type Engine, type EngineRequest, type Prepared, type Verdict } from "../verdict/index.js";
import { envOf, evaluatePolicy, type RuleVerdict } from "./evaluate.js";
import { exemptingException } from "./exceptions.js";
import { policyMatches } from "./match.js";

export { evaluatePolicy, envOf, holds, subjectOf, value, type Env, type RuleVerdict } from "./evaluate.js";
export { policyMatches } from "./match.js";
export { ReferenceMutationEngine, applyMutation } from "./mutate.js";
export { exceptionApplies, exemptingException } from "./exceptions.js";

/**
 * policyc's own reading of the IR. Its input is the lowered policies themselves, not documents:
 * being independent of every backend is what makes it the referee of the cross-engine check.
 */
export class ReferenceEngine implements Engine {
  readonly name = "reference" as const;
  private constructor(private readonly instances: ReadonlyMap<string, { policy: Policy; instance: Policy["instances"][number] }>) {}

  /** Every instance of the given (lowered) policies, by its object name. The IR is valid by construction: no problems. */
  static prepare(policies: readonly Policy[]): Prepared<ReferenceEngine> {
    const instances = new Map<string, { policy: Policy; instance: Policy["instances"][number] }>();
    for (const policy of policies)
      for (const instance of policy.instances) instances.set(instanceName(policy.name, instance), { policy, instance });
    return { engine: new ReferenceEngine(instances), problems: [] };
  }

  has(policy: string): boolean {
    return this.instances.has(policy);
  }

  release(): void {}

  /** The verdict of one policy instance (by object name) on a request. */
  evaluate(request: EngineRequest): Verdict {
    const { policy: name, admission: req } = request;
    const entry = this.instances.get(name);
    if (!entry) return failure("missing_document", `no policy instance named ${name}`);
    const { policy, instance } = entry;
    const object = subjectObject(req);
    const ns = object?.metadata?.namespace;
    const labels = ns ? namespaceLabels(ns, req.cluster?.namespaces?.[ns]) : {};
    const old = req.operation === "DELETE" ? undefined : req.oldObject;
    if (!policyMatches(policy, object, { operation: req.operation, namespaceLabels: labels, ...(old ? { oldObject: old } : {}) }))
      return skip("not_matched", "the policy does not match the request");
    const exempt = exemptingException(policy, req);
    if (exempt) return skip("exception", `exception ${exempt.name} applies (${exempt.reason})`);
    const result = evaluatePolicy(policy, envOf(policy, instance, req));
    // Only the policy's own precondition makes it not apply (as VAP matchConditions do); a rule
    // whose precondition is false simply passes, as it does in the generated CEL and Rego.
    if (result.kind === "precondition_false") return skip("condition_false", "the policy's precondition is false");
    const failed = result.rules.filter((r): r is Extract<RuleVerdict, { status: "fail" }> => r.status === "fail");
    if (failed.length === 0) return { kind: "allow" };
    const actions = [policy.enforcement];
    return { kind: "deny", actions, violations: failed.flatMap((r) => r.violations.map((v) => ({ ...v, rule: r.rule }))) };
  }
}
