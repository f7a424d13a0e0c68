/**
 * Container image references, normalised as the container runtime normalises them
 * (github.com/distribution/reference `ParseNormalizedNamed` and `TagNameOnly`): `nginx` is
 * `docker.io/library/nginx:latest`. The first path component is a registry when it holds a `.`
 * or `:`, is `localhost`, or has upper-case letters; otherwise the registry is `docker.io`, and a
 * one-component repository there is under `library/`. `index.docker.io` is `docker.io`. Without a
 * tag or a digest the tag is `latest`. The same steps are written in CEL and in Rego (policyc's
 * lowerings), so every engine splits every string the same way; strings that are not valid
 * references are split by the same steps, not rejected.
 */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  /** registry/repository */
  readonly name: string;
}

/** ASCII lower case: CEL's `lowerAscii`, and what policyc's Rego does. */
export const lowerAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
export const upperAscii = (s: string): string => s.replace(/[a-z]/g, (c) => c.toUpperCase());

export function parseImage(ref: string): ImageReference {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : "";
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const slash = named.indexOf("/");
  const first = slash >= 0 ? named.slice(0, slash) : "";
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || lowerAscii(first) !== first);
  const rest = hasRegistry ? named.slice(slash + 1) : named;
  const registry = !hasRegistry || first === "index.docker.io" ? "docker.io" : first;
  const colon = rest.lastIndexOf(":");
  const path = colon >= 0 ? rest.slice(0, colon) : rest;
  const repository = registry === "docker.io" && !path.includes("/") ? `library/${path}` : path;
  const tag = colon >= 0 ? rest.slice(colon + 1) : digest ? "" : "latest";
  return { registry, repository, tag, digest, name: `${registry}/${repository}` };
}

/**
 * `ref` moved from registry `from` to registry `to` (policyc's `rewriteRegistry`): when its
 * normalised registry is `from`, `to/<repository>` followed by the tag and the digest as written
 * (`nginx:1.25` from docker.io to mirror.example.com is `mirror.example.com/library/nginx:1.25`);
 * otherwise undefined.
 */
export function rewriteImageRegistry(ref: string, from: string, to: string): string | undefined {
  const parsed = parseImage(ref);
  if (parsed.registry !== from) return undefined;
  const at = ref.indexOf("@");
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const slash = named.indexOf("/");
  const first = slash >= 0 ? named.slice(0, slash) : "";
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || lowerAscii(first) !== first);
  const rest = hasRegistry ? named.slice(slash + 1) : named;
  const colon = rest.lastIndexOf(":");
  return `${to}/${parsed.repository}${colon >= 0 ? rest.slice(colon) : ""}${at >= 0 ? ref.slice(at) : ""}`;
}
