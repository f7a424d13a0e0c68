import type { Instance, Policy } from "./types.js";

/** Object name of an instance: the policy name, suffixed with the instance name if it has one. */
export function instanceName(policy: string, instance: Pick<Instance, "name">): string {
  return instance.name ? `${policy}-${instance.name}` : policy;
}

/** The object names a policy's instances produce (`name`, or `name-instance`). */
export function outputNames(p: Policy): string[] {
  return p.instances.map((i) => instanceName(p.name, i));
}
