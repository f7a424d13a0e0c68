// Element variables named after lists whose singular a target reserves: `input` and `data`
// (Rego's root documents), `object` (CEL's admitted object), `if` (a keyword of both), `type`
// (CEL's type identifier). Each lowering renames them (ir/rename-elements.ts), and every engine
// must still agree.
import { z } from "zod";
import { and, customKind, definePolicy } from "policyc";

const Pipeline = customKind({
  apiVersion: "example.com/v1",
  kind: "Pipeline",
  schema: z.object({
    spec: z.object({
      inputs: z.array(z.object({ name: z.string(), objects: z.array(z.object({ kind: z.string() })) })),
      datas: z.array(z.string()),
      ifs: z.array(z.object({ when: z.string() })),
      types: z.array(z.string()),
    }),
  }),
});

const pipeline = (o: { secret?: boolean; data?: string; when?: string; type?: string }) => ({
  apiVersion: "example.com/v1",
  kind: "Pipeline",
  metadata: { name: "p", namespace: "ci" },
  spec: {
    inputs: [{ name: "src", objects: [{ kind: o.secret ? "Secret" : "ConfigMap" }] }],
    datas: [o.data ?? "ok"],
    ifs: [{ when: o.when ?? "always" }],
    types: [o.type ?? "batch"],
  },
});

export default definePolicy({
  name: "golden-reserved-names",
  title: "Element names a target reserves",
  match: { kinds: [Pipeline] },
  validate: (p) =>
    and(
      p.spec.inputs.every((input) => input.objects.every((object) => object.kind.notEquals("Secret").message`input ${input.name} reads a ${object.kind}`)),
      p.spec.datas.every((data) => data.notEquals("forbidden").message`data ${data} is forbidden`),
      p.spec.ifs.every((i) => i.when.oneOf(["always", "on-success"]).message`when ${i.when} is unknown`),
      p.spec.types.some((type) => type.equals("batch")).message`no batch type`,
    ),
  tests: [
    { resource: pipeline({}), expect: "allow" },
    { resource: pipeline({ secret: true }), expect: "deny", message: "input src reads a Secret" },
    { resource: pipeline({ data: "forbidden" }), expect: "deny", message: "data forbidden is forbidden" },
    { resource: pipeline({ when: "never" }), expect: "deny", message: "when never is unknown" },
    { resource: pipeline({ type: "stream" }), expect: "deny", message: "no batch type" },
  ],
});
