/**
 * Synthetic policy repositories for the benchmark: N policies drawn from the starter policies'
 * shapes (privileged containers, allowed registries with varied parameters, a required label with
 * varied keys), each with 10 fixtures of its own and a case per fixture. Written to a temp folder.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const pod = (name: string, image: string, privileged: boolean, labels: Record<string, string>) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: shop\n  labels: ${JSON.stringify(labels)}\nspec:\n  containers:\n    - name: app\n      image: ${image}\n      securityContext:\n        privileged: ${privileged}\n    - name: side\n      image: registry.example.com/side:1.0\n`;

export function writeRepo(root: string, policies: number, fixturesPerPolicy = 10): { dir: string; cases: number } {
  const dir = path.join(root, `repo-${policies}`, "policies");
  mkdirSync(path.join(dir, "fixtures"), { recursive: true });
  let cases = 0;
  for (let i = 0; i < policies; i++) {
    const shape = i % 3;
    const tests: string[] = [];
    for (let f = 0; f < fixturesPerPolicy; f++) {
      const bad = f % 2 === 1;
      const file = `fixtures/p${i}-f${f}.yaml`;
      const key = `example.com/key-${i % 7}`;
      const content =
        shape === 0
          ? pod(`pod-${i}-${f}`, "registry.example.com/app:1.0", bad, { app: "web" })
          : shape === 1
            ? pod(`pod-${i}-${f}`, bad ? "docker.io/library/nginx:1.27" : `registry${i % 5}.example.com/app:1.${f}`, false, {})
            : pod(`pod-${i}-${f}`, "registry.example.com/app:1.0", false, bad ? {} : { [key]: `v${f}` });
      writeFileSync(path.join(dir, file), content);
      tests.push(`{ resource: ${JSON.stringify(file)}, expect: ${JSON.stringify(bad ? "deny" : "allow")} }`);
      cases++;
    }
    const body =
      shape === 0
        ? `match: { kinds: [Pod] },\n  validate: (pod) => pod.spec.allContainers.every((c) => c.securityContext.privileged.notEquals(true).message\`Privileged container \${c.name} is not allowed (${i})\`),`
        : shape === 1
          ? `match: { kinds: [Pod] },\n  params: z.object({ registries: z.array(z.string()) }),\n  instances: [{ name: "default", params: { registries: ["registry${i % 5}.example.com/", "registry.example.com/"] } }],\n  rules: [{ name: "registries", assert: (pod, params) => pod.spec.allContainers.every((c) => c.image.startsWith(params.registries).message\`Image \${c.image} is not allowed\`) }],`
          : `match: { kinds: [Pod] },\n  rules: [{ name: "label", assert: (pod) => pod.metadata.labels.at(${JSON.stringify(`example.com/key-${i % 7}`)}).exists(), message: "label required" }],`;
    writeFileSync(
      path.join(dir, `policy-${i}.ts`),
      `import { definePolicy, Pod, z } from "policyc";\n\nexport default definePolicy({\n  name: "bench-${["privileged", "registries", "label"][shape]}-${i}",\n  ${body}\n  tests: [\n    ${tests.join(",\n    ")},\n  ],\n});\n`,
    );
  }
  return { dir, cases };
}
