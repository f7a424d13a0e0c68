import { globToRegex, requirementsOf, soleNamespaceRequirement, criteriaOf, type Exception, type Policy } from "../../ir/index.js";
import { binary, call, expr, ref, v, value, type Rule, type Statement, type Term } from "./ast.js";

/**
 * Where an exception goes in Gatekeeper's output. A Constraint's `match` can exclude namespaces
 * (`excludedNamespaces`) and select by one label requirement's complement (`labelSelector`,
 * `namespaceSelector`); anything else, the Rego (`rego`): the template's `applies` requires
 * that no such exception holds. A namespace-label criterion with anything else is not
 * expressible (Rego would need the synced Namespace): `undefined`.
 */
export type GatekeeperPlacement = "excludedNamespaces" | "labelSelector" | "namespaceSelector" | "rego";

export function gatekeeperPlacement(ex: Exception): GatekeeperPlacement | undefined {
  const criteria = criteriaOf(ex);
  if (criteria.includes("namespaceLabels")) return soleNamespaceRequirement(ex) ? "namespaceSelector" : undefined;
  if (criteria.length === 1 && criteria[0] === "namespaces") return "excludedNamespaces";
  if (criteria.length === 1 && criteria[0] === "labels" && requirementsOf(ex.match.labelSelector!).length === 1) return "labelSelector";
  return "rego";
}

const REVIEW = ref(v("input"), "review");
const set = (items: readonly string[]): Term => ({ kind: "set", items: items.map((x) => value(x)) });
const get = (base: Term, path: readonly string[], fallback: unknown): Term => call("object.get", base, value(path), value(fallback));

/**
 * The Rego of the exceptions placed in it: `_exempt` holds where one of them applies (one
 * definition per exception, its criteria all in the body; a criterion with alternatives is a
 * helper rule with one definition per alternative). `object` is the admitted object's term.
 */
export function exemptionRules(p: Policy, object: Term): Rule[] {
  const inRego = (p.exceptions ?? []).filter((ex) => gatekeeperPlacement(ex) === "rego");
  if (inRego.length === 0) return [];
  const helpers: Rule[] = [];
  const definitions = inRego.map((ex, i) => {
    const body: Statement[] = [];
    const alternatives = (name: string, bodies: Statement[][]) => {
      if (bodies.length === 1) body.push(...bodies[0]!);
      else {
        helpers.push({ kind: "rule", name, head: "complete", definitions: bodies.map((b) => ({ body: b, inline: b.length === 1 })) });
        body.push(expr(v(name)));
      }
    };
    const m = ex.match;
    if (m.kinds)
      body.push(
        expr(
          binary(
            "in",
            call("concat", value("/"), { kind: "array", items: [ref(REVIEW, "kind", "group"), ref(REVIEW, "kind", "kind")] }),
            set(m.kinds.map((k) => `${k.group}/${k.kind}`)),
          ),
        ),
      );
    if (m.namespaces) body.push(expr(binary("in", get(REVIEW, ["namespace"], ""), set(m.namespaces))));
    if (m.names) {
      const name = get(object, ["metadata", "name"], "");
      const exact = m.names.filter((n) => !/[*?]/.test(n));
      alternatives(`_exception${i}_name`, [
        ...(exact.length ? [[expr(binary("in", name, set(exact)))]] : []),
        ...m.names.filter((n) => /[*?]/.test(n)).map((g) => [expr(call("regex.match", value(globToRegex(g)), name))]),
      ]);
    }
    if (m.labelSelector) {
      for (const r of requirementsOf(m.labelSelector)) {
        const label = get(object, ["metadata", "labels", r.key], null);
        if (r.operator === "In") body.push(expr(binary("in", label, set(r.values ?? []))));
        else if (r.operator === "NotIn") body.push({ kind: "not", term: binary("in", label, set(r.values ?? [])) });
        else body.push(expr(binary(r.operator === "Exists" ? "!=" : "==", label, value(null))));
      }
    }
    if (m.users || m.groups)
      alternatives(`_exception${i}_subject`, [
        ...(m.users ? [[expr(binary("in", get(REVIEW, ["userInfo", "username"], ""), set(m.users)))]] : []),
        ...(m.groups
          ? [
              [
                { kind: "some", vars: ["group"], domain: get(REVIEW, ["userInfo", "groups"], []) } as Statement,
                expr(binary("in", v("group"), set(m.groups))),
              ],
            ]
          : []),
      ]);
    return { body, ...(body.length === 1 ? { inline: true } : {}) };
  });
  return [
    {
      kind: "rule",
      name: "_exempt",
      head: "complete",
      comment: `Exceptions (${inRego.map((ex) => ex.name).join(", ")}): the policy does not apply where one holds.`,
      definitions,
    },
    ...helpers,
  ];
}
