// Type tests: checked by `tsc` in `npm test`. Each @ts-expect-error must stay an error.
import { expect } from "vitest";
import { z } from "zod";
import { and, ClusterRole, customKind, definePolicy, Deployment, Pod } from "../../src/index.js";
import type { Evaluation } from "../../src/testing/vitest.js";
import "../../src/testing/vitest.js";

definePolicy({
  name: "types",
  match: { kinds: [Pod] },
  // @ts-expect-error misspelled field: privilegd
  validate: (pod) => pod.spec.allContainers.every((c) => c.securityContext.privilegd.notEquals(true)),
});

definePolicy({
  name: "types-2",
  match: { kinds: [Deployment] },
  // @ts-expect-error replicas is a number: no startsWith
  validate: (d) => d.spec.replicas.startsWith("1"),
});

// Fields newer than kubernetes-types' 1.30 are typed (kubernetes-models follows recent Kubernetes).
definePolicy({
  name: "types-3",
  match: { kinds: [Pod] },
  validate: (pod) => and(pod.spec.hostnameOverride.absent(), pod.spec.resources.limits.at("cpu").exists()),
});

// A custom kind declared with a zod schema: typed from it, with the standard metadata.
const Widget = customKind({
  apiVersion: "example.com/v1",
  kind: "Widget",
  schema: z.object({ spec: z.object({ size: z.number(), colour: z.string().optional() }) }),
});
definePolicy({
  name: "widgets",
  match: { kinds: [Widget] },
  validate: (w) => and(w.spec.size.lte(10), w.metadata.labels.at("a").exists()),
});
// @ts-expect-error Widget has no spec.shape
definePolicy({ name: "widgets-2", match: { kinds: [Widget] }, validate: (w) => w.spec.shape.exists() });

// A custom kind declared unchecked, typed by hand.
interface Gadget {
  spec: { size: number };
}
const GadgetKind = customKind<Gadget>({ apiVersion: "example.com/v1", kind: "Gadget", unchecked: true });
definePolicy({ name: "gadgets", match: { kinds: [GadgetKind] }, validate: (g) => g.spec.size.lte(10) });
// @ts-expect-error a custom kind needs a schema or unchecked: true
customKind<Gadget>({ apiVersion: "example.com/v1", kind: "Gadget" });

// Rules built with .map() over constants: the rules function types the subject, no generics.
const VERBS = ["create", "delete"] as const;
definePolicy({
  name: "types-4",
  match: { kinds: [ClusterRole] },
  rules: (rule) => VERBS.map((verb) => rule({ name: verb, assert: (role) => role.rules.none((r) => r.verbs.includes(verb)) })),
});
definePolicy({
  name: "types-5",
  match: { kinds: [ClusterRole] },
  // @ts-expect-error ClusterRole rules have no "verb"
  rules: (rule) => VERBS.map((verb) => rule({ name: verb, assert: (role) => role.rules.none((r) => r.verb.includes(verb)) })),
});
definePolicy({
  name: "types-6",
  match: { kinds: [Pod] },
  // Returning plain objects works as well: the function's result is typed by the policy.
  rules: () => VERBS.map((verb) => ({ name: verb, assert: (pod) => pod.metadata.annotations.at(verb).absent() })),
});
definePolicy({
  name: "types-7",
  match: { kinds: [Pod] },
  // @ts-expect-error Pod metadata has no "anotations"
  rules: () => VERBS.map((verb) => ({ name: verb, assert: (pod) => pod.metadata.anotations.at(verb).absent() })),
});

// The matchers' types come from the package entry that registers them: no hand-written declare module.
declare const evaluation: Evaluation;
expect(evaluation).toDeny(/privileged/);
expect(evaluation).not.toAllow();
// @ts-expect-error no such matcher
expect(evaluation).toDenyy();
