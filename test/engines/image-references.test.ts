/**
 * Image references: every engine splits a table of tricky references (from the distribution
 * reference grammar: registries with ports, localhost, IPv6, digests with and without tags,
 * docker.io's library/ and index.docker.io) into the same registry, repository, tag and digest,
 * and that split is the container runtime's normalisation (hand-written expectations).
 */
import { describe, expect, it } from "vitest";
import { parseImage } from "../../src/kube/index.js";
import { definePolicy, deny, image, Pod } from "../../src/index.js";
import { evaluate } from "../../src/testing/index.js";

const d = "sha256:" + "0123456789abcdef".repeat(4);

/** reference → registry | repository | tag | digest */
const TABLE: readonly [string, string][] = [
  ["nginx", "docker.io|library/nginx|latest|"],
  ["nginx:1.27", "docker.io|library/nginx|1.27|"],
  ["library/nginx", "docker.io|library/nginx|latest|"],
  ["docker.io/nginx", "docker.io|library/nginx|latest|"],
  ["index.docker.io/nginx:1", "docker.io|library/nginx|1|"],
  ["org/app", "docker.io|org/app|latest|"],
  ["ghcr.io/org/app:v1", "ghcr.io|org/app|v1|"],
  ["localhost/app", "localhost|app|latest|"],
  ["localhost:5000/a/b@" + d, `localhost:5000|a/b||${d}`],
  ["host:5000/a/b:tag@" + d, `host:5000|a/b|tag|${d}`],
  ["nginx@" + d, `docker.io|library/nginx||${d}`],
  ["ubuntu:22.04@" + d, `docker.io|library/ubuntu|22.04|${d}`],
  ["my.registry.example.com:443/team/app", "my.registry.example.com:443|team/app|latest|"],
  ["127.0.0.1:5000/app:1", "127.0.0.1:5000|app|1|"],
  ["[::1]:5000/app:1", "[::1]:5000|app|1|"],
  ["Foo/bar", "Foo|bar|latest|"],
  ["a/b/c/d:1", "docker.io|a/b/c/d|1|"],
  ["nginx:tägé", "docker.io|library/nginx|tägé|"],
];

describe("image references", () => {
  const policy = definePolicy({
    name: "image-parts",
    match: { kinds: [Pod] },
    validate: (pod) =>
      pod.spec.containers.every(
        (c) =>
          deny`${image(c.image).registry}|${image(c.image).repository}|${image(c.image).tag}|${image(c.image).digest}|${image(c.image).name}`,
      ),
  });

  it.each(TABLE)("%s is normalised as the container runtime does it", (ref, expected) => {
    const p = parseImage(ref);
    expect(`${p.registry}|${p.repository}|${p.tag}|${p.digest}`).toBe(expected);
    expect(p.name).toBe(`${p.registry}/${p.repository}`);
  });

  it("every engine splits every reference the same way", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "shop" },
      spec: { containers: TABLE.map(([ref], i) => ({ name: `c${i}`, image: ref })) },
    };
    const r = await evaluate(policy, pod);
    expect(Object.keys(r.engines).sort()).toEqual(["gatekeeper", "kubernetes", "kyverno", "reference"]);
    const wanted = TABLE.map(([ref, parts]) => `${parts}|${parseImage(ref).name}`);
    // Gatekeeper and the reference report every container (Gatekeeper's violations are a set:
    // references that normalise alike report once); the CEL targets report the first one.
    for (const engine of ["gatekeeper", "reference"] as const) {
      const v = r.engines[engine]!;
      expect(v.kind === "deny" && [...new Set(v.violations.map((x) => x.message))].sort(), engine).toEqual([...new Set(wanted)].sort());
    }
    for (const engine of ["kyverno", "kubernetes"] as const) {
      const v = r.engines[engine]!;
      expect(v.kind === "deny" && v.violations[0]!.message, engine).toBe(wanted[0]);
    }
  });

  it("the CEL targets agree on each reference on its own", async () => {
    for (const [ref, parts] of TABLE) {
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "shop" },
        spec: { containers: [{ name: "c", image: ref }] },
      };
      const r = await evaluate(policy, pod);
      for (const v of Object.values(r.engines))
        expect(v!.kind === "deny" && v!.violations[0]!.message, ref).toBe(`${parts}|${parseImage(ref).name}`);
    }
  });
});
