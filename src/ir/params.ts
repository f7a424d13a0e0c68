/** The value at a parameter path in an instance's values; `undefined` when it is not set. */
export function paramValue(params: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let v: unknown = params;
  for (const seg of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}
