import { customKind, definePolicy } from "policyc";

// A custom kind must declare its fields (schema) or say it is unchecked.
const Widget = customKind({ apiVersion: "example.com/v1", kind: "Widget" } as never);

export default definePolicy({
  name: "widgets",
  match: { kinds: [Widget] },
  validate: (w) => (w as any).spec.size.lte(10),
});
