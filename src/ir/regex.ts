import { RE2JS } from "re2js";

/**
 * Regexes must mean the same in CEL (Go's regexp) and Rego (Go's regexp in OPA, RE2 in the
 * Wasm runtime): both are RE2. re2js is a port of Go's regexp/syntax, so a pattern it accepts
 * is one both engines accept, and lookarounds or backreferences are rejected here, located,
 * instead of failing in a cluster.
 */
export function checkRegex(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** RE2 find (unanchored), as CEL's `matches` and Rego's `regex.match` do. */
export function regexFind(pattern: string, value: string): boolean {
  return RE2JS.compile(pattern).matcher(value).find();
}

/**
 * Translates a glob to an anchored RE2 pattern: `*` matches any run of characters (including
 * `/`), `?` one character, `[...]` a character class; everything else is literal. Both
 * languages then compare with the same regex, so globs cannot drift apart between them.
 */
export function globToRegex(glob: string): string {
  let out = "^";
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = chars.indexOf("]", i + 2);
      if (end === -1) {
        out += "\\[";
        continue;
      }
      let body = chars.slice(i + 1, end).join("");
      if (body.startsWith("!")) body = "^" + body.slice(1);
      out += "[" + body.replace(/\\/g, "\\\\") + "]";
      i = end;
    } else if (c === "\\" && i + 1 < chars.length) {
      out += RE2JS.quote(chars[++i]!);
    } else out += RE2JS.quote(c);
  }
  return out + "$";
}

const QUANTITY = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$/;

/** Kubernetes resource.Quantity syntax (decimal SI, binary SI or decimal exponent suffix). */
export function isQuantity(s: string): boolean {
  return QUANTITY.test(s);
}
