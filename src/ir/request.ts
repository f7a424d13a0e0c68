/**
 * The fields of the admission request a rule can read (scope `request`), with the value each has
 * when the API server leaves it out. The request is sent with Go's `omitempty`: a user without
 * groups has no `userInfo.groups`, a cluster-scoped object no `namespace`. A rule reads the zero
 * value instead, on every target, as Kubernetes' own Go types do; `operation` is always sent.
 */
export const REQUEST_FIELDS: readonly { readonly path: readonly string[]; readonly zero: string | readonly never[] }[] = [
  { path: ["operation"], zero: "" },
  { path: ["namespace"], zero: "" },
  { path: ["name"], zero: "" },
  { path: ["userInfo", "username"], zero: "" },
  { path: ["userInfo", "uid"], zero: "" },
  { path: ["userInfo", "groups"], zero: [] },
];

/** The request field at this path, if rules may read it. */
export function requestField(path: readonly unknown[]): (typeof REQUEST_FIELDS)[number] | undefined {
  return REQUEST_FIELDS.find((r) => r.path.length === path.length && r.path.every((x, i) => x === path[i]));
}
