// Type tests: checked by `tsc` in `npm test`. Each @ts-expect-error must stay an error.
import { definePolicy, Deployment, Pod, customKind } from "../src/index.js";

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

interface Widget {
  apiVersion: "example.com/v1";
  kind: "Widget";
  metadata: { name: string };
  spec: { size: number };
}
const WidgetKind = customKind<Widget>({ apiVersion: "example.com/v1", kind: "Widget" });
definePolicy({ name: "widgets", match: { kinds: [WidgetKind] }, validate: (w) => w.spec.size.lte(10) });
// @ts-expect-error Widget has no spec.colour
definePolicy({ name: "widgets-2", match: { kinds: [WidgetKind] }, validate: (w) => w.spec.colour.exists() });
