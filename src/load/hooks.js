// Module customization hooks (node:module register) for loading policy files. Plain JS on
// purpose: Node loads this file in its hooks thread before any TypeScript can be stripped.
//
// - `.ts`/`.mts` files are loaded with their types stripped in place (amaro, the stripper Node
//   itself uses), so every line and column in a stack trace is the one in the source file.
// - `import ... from "policyc"` (and "policyc/library") resolves to the running policyc, wherever
//   the policies are.
// - `./x.js` resolves to `./x.ts` when only the TypeScript file exists (tsc's NodeNext style).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

let policycUrl = "";
let libraryUrl = "";
/** Files under this folder (policyc's own sources, for its scripts) are transformed, not stripped. */
let transformUnder = "";
let amaro;

export async function initialize(data) {
  policycUrl = data.policycUrl;
  libraryUrl = data.libraryUrl;
  transformUnder = data.transformUnder ?? "";
}

export async function resolve(specifier, context, next) {
  if (specifier === "policyc" || specifier === "policyc/index.js") {
    return { url: policycUrl, shortCircuit: true };
  }
  if (specifier === "policyc/library") return { url: libraryUrl, shortCircuit: true };
  if (specifier.endsWith(".js") && (specifier.startsWith(".") || specifier.startsWith("file:")) && context.parentURL?.startsWith("file:")) {
    const js = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(js))) {
      const ts = new URL(js.href.replace(/\.js$/, ".ts"));
      if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  const bare = url.replace(/[?#].*$/, "");
  if (bare.startsWith("file:") && (bare.endsWith(".ts") || bare.endsWith(".mts")) && !bare.includes("/node_modules/")) {
    amaro ??= (await import("amaro")).default;
    const source = await readFile(fileURLToPath(url), "utf8");
    // policyc's own code uses constructor parameter properties, which need amaro's transform mode;
    // policy files are stripped only, so their positions stay exact.
    const mode = transformUnder && bare.startsWith(transformUnder) ? "transform" : "strip-only";
    const { code } = amaro.transformSync(source, { mode, filename: fileURLToPath(url) });
    return { format: "module", source: code, shortCircuit: true };
  }
  return next(url, context);
}
