import type { Policy } from "../../ir/index.js";
import { regoPackage } from "./lower-module.js";
import { printRego } from "./print-rego.js";

/** The package of a policy's review module, beside its template's package. */
export function reviewPackage(p: Policy): string {
  return `policyc_review.${regoPackage(p)}`;
}

/**
 * A module `policyc test` compiles next to a generated template, never shipped: one query that
 * tells "does not apply" (operation or precondition) from "no violation", as a
 * ValidatingAdmissionPolicy's matchConditions do. Undefined when the policy does not apply.
 */
export function printReviewModule(p: Policy): string {
  const pkg = regoPackage(p);
  return printRego({
    package: reviewPackage(p),
    imports: ["rego.v1"],
    items: [
      {
        kind: "rule",
        name: "review",
        head: "complete",
        definitions: [
          {
            value: {
              kind: "object",
              entries: [
                [
                  { kind: "value", value: "violations" },
                  {
                    kind: "ref",
                    base: { kind: "var", name: "data" },
                    path: [
                      { kind: "field", name: pkg },
                      { kind: "field", name: "violation" },
                    ],
                  },
                ],
              ],
            },
            body: [
              {
                kind: "expr",
                term: {
                  kind: "ref",
                  base: { kind: "var", name: "data" },
                  path: [
                    { kind: "field", name: pkg },
                    { kind: "field", name: "applies" },
                  ],
                },
              },
            ],
            inline: true,
          },
        ],
      },
    ],
  });
}
