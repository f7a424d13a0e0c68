/**
 * How messages render what they cannot show, the same on every target:
 * - a value read from the object that is missing renders as MISSING_TEXT, so a message never has
 *   a hole (`Pod  sets hostAliases`);
 * - the static `message` of a CEL target (shown only when the messageExpression cannot be
 *   evaluated) keeps every character of the template and shows each value it cannot know as a
 *   placeholder naming it (`container {name} uses image {image}`).
 * A pod policy's subject reads `metadata.name` and `metadata.namespace` from the admitted object
 * itself (a Deployment's, not its pod template's, which has none), as Kyverno's autogen does.
 * A message's leading and trailing white space is dropped, on every target, as the API server
 * drops it from every validation message (strings.TrimSpace): otherwise exactly as written.
 */
import type { FieldRef, Value } from "./types.js";

export const MISSING_TEXT = "<missing>";

/** The placeholder of a value in a static message: `{name}` after the last field it reads. */
export function placeholderOf(v: Value): string {
  const last = (f: FieldRef) => [...f.path].reverse().find((s): s is string => typeof s === "string") ?? f.scope.kind;
  switch (v.kind) {
    case "field":
      return `{${last(v)}}`;
    case "image":
      return `{image ${v.part}}`;
    case "case":
      return placeholderOf(v.of);
    case "concat":
      return v.items.map((i) => (i.kind === "literal" ? String(i.value) : placeholderOf(i))).join("");
    case "join":
      return "{list}";
    default:
      return "{value}";
  }
}

/**
 * Whether a field read of a pod policy's subject (or old subject) is the pod's name or namespace,
 * which are the admitted object's own: a pod template carries neither.
 */
export function readsControllerIdentity(f: FieldRef): boolean {
  return (
    (f.scope.kind === "subject" || f.scope.kind === "oldSubject") &&
    f.path.length === 2 &&
    f.path[0] === "metadata" &&
    (f.path[1] === "name" || f.path[1] === "namespace")
  );
}

/** White space as Go's unicode.IsSpace has it (not the byte-order mark, which JavaScript's trim() also drops). */
const GO_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const EDGES = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "gu");

/** A message as the API server shows it: Go's strings.TrimSpace of the text. */
export function trimMessage(s: string): string {
  return s.replace(EDGES, "");
}
