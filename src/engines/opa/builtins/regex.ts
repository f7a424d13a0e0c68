/** Go regexp semantics (FindAll, Split, ReplaceAllString) over RE2 (re2js), as OPA's regex builtins use them. */
import { RE2JS } from "re2js";

type Span = readonly [number, number, ...number[]];

function compile(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

const width = (s: string, pos: number) => (pos < s.length ? (s.codePointAt(pos)! > 0xffff ? 2 : 1) : 1);

/** Go's Regexp.allMatches: all successive matches; an empty match right after a match is skipped. */
function allMatches(re: RE2JS, s: string, n: number): Span[] {
  const out: Span[] = [];
  const m = re.matcher(s);
  for (let pos = 0, prevEnd = -1; (n < 0 || out.length < n) && pos <= s.length;) {
    if (!m.find(pos)) break;
    const span: number[] = [m.start(), m.end()];
    for (let g = 1; g <= m.groupCount(); g++) span.push(m.start(g), m.end(g));
    let accept = true;
    if (span[1] === pos) {
      if (span[0] === prevEnd) accept = false;
      pos += width(s, pos);
    } else pos = span[1]!;
    prevEnd = span[1]!;
    if (accept) out.push(span as unknown as Span);
  }
  return out;
}

export function findAll(pattern: string, s: string, n: number): string[] {
  return allMatches(compile(pattern), s, n).map(([a, b]) => s.slice(a, b));
}

export function split(pattern: string, s: string): string[] {
  if (pattern.length > 0 && s.length === 0) return [""];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const [a, b] of allMatches(compile(pattern), s, -1)) {
    end = a;
    if (b !== 0) out.push(s.slice(beg, end));
    beg = b;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** Go's Regexp.Expand for `$1`, `${1}`, `$name`, `${name}` and `$$`. */
function expand(template: string, s: string, span: readonly number[], names: Readonly<Record<string, number>>): string {
  let out = "";
  for (let i = 0; i < template.length;) {
    const c = template[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    let name: string | undefined;
    let next = i + 1;
    if (template[i + 1] === "{") {
      const close = template.indexOf("}", i + 2);
      const inner = close < 0 ? "" : template.slice(i + 2, close);
      if (close >= 0 && /^\w+$/.test(inner)) {
        name = inner;
        next = close + 1;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        next = i + 1 + m[0].length;
      }
    }
    if (name === undefined) {
      out += "$";
      i++;
      continue;
    }
    const index = /^\d+$/.test(name) ? Number(name) : names[name];
    if (index !== undefined && 2 * index + 1 < span.length && span[2 * index]! >= 0) out += s.slice(span[2 * index], span[2 * index + 1]);
    i = next;
  }
  return out;
}

export function replaceAll(s: string, pattern: string, template: string): string {
  const re = compile(pattern);
  const names = (re.namedGroups() ?? {}) as Record<string, number>;
  const m = re.matcher(s);
  let out = "";
  let lastEnd = 0;
  for (let pos = 0; pos <= s.length;) {
    if (!m.find(pos)) break;
    const span: number[] = [m.start(), m.end()];
    for (let g = 1; g <= m.groupCount(); g++) span.push(m.start(g), m.end(g));
    out += s.slice(lastEnd, span[0]);
    if (span[1]! > lastEnd || span[0] === 0) out += expand(template, s, span, names);
    lastEnd = span[1]!;
    const w = width(s, pos);
    if (pos + w > span[1]!) pos += w;
    else if (pos + 1 > span[1]!) pos++;
    else pos = span[1]!;
  }
  return out + s.slice(lastEnd);
}
