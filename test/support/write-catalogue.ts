/** `npm run build:catalogue`: writes docs/library.md from the policies/ folder (the library with its defaults). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { renderCatalogue } from "../../src/library/index.js";
import { loadPolicies } from "../../src/load/index.js";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
const loaded = await loadPolicies(path.join(root, "policies"), root);
if (loaded.issues.length) throw new Error(loaded.issues.map((i) => i.message).join("\n"));
writeFileSync(
  path.join(root, "docs", "library.md"),
  renderCatalogue(
    loaded.policies.map((p) => p.policy!),
    loaded.mutations.map((m) => m.mutation!),
  ),
);
