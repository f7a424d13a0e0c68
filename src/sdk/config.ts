/**
 * The project configuration (`policyc.config.ts`, or `.json`): what scripts would otherwise repeat
 * on every command line. Flags override it; what neither says takes policyc's defaults.
 */
import { z } from "zod";
import { TARGET_NAMES } from "../ir/index.js";

const CONFIG = Symbol.for("policyc.config");
const ENGINES = ["kyverno", "kubernetes", "gatekeeper", "reference"] as const;

export const configSchema = z
  .object({
    /** The TypeScript policies' folder (default `policies`). */
    policies: z.string().min(1).optional(),
    /** Where `build` writes (default `generated`). */
    out: z.string().min(1).optional(),
    targets: z.array(z.enum(TARGET_NAMES)).min(1).optional(),
    kyvernoFormat: z.enum(["validating-policy", "legacy", "both"]).optional(),
    /** The namespace Kyverno reads PolicyExceptions from (its `--exceptionNamespace`; default `kyverno`). */
    kyvernoExceptionNamespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a namespace name (a DNS-1123 label)")
      .max(63)
      .optional(),
    /** The engines `test` and `apply` run (default: all). */
    engines: z.array(z.enum(ENGINES)).min(1).optional(),
    /** Reporters of `test` and `apply`: `pretty`, `json`, `junit`, `sarif`, `github`, `policy-report`, each optionally `=FILE`. */
    reporters: z.array(z.string().min(1)).optional(),
    apply: z
      .object({
        /** Manifests `apply` checks when the command line names none. */
        inputs: z.array(z.string().min(1)).optional(),
        /** Existing YAML policies (files or folders). */
        policy: z.array(z.string().min(1)).optional(),
        mode: z.enum(["admission", "audit"]).optional(),
        namespaces: z.string().min(1).optional(),
        /** Files or folders of objects the cluster holds besides the inputs, for lookups. */
        cluster: z.array(z.string().min(1)).optional(),
        clusterScoped: z.array(z.string().min(1)).optional(),
        failOn: z.array(z.enum(["audit", "warn"])).optional(),
        /** Where namespaced objects without a namespace go (`kubectl apply -n`). */
        namespace: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a namespace name (a DNS-1123 label)")
          .optional(),
        /** Only policies whose name matches one of these globs. */
        includePolicy: z.array(z.string().min(1)).optional(),
        /** Leave out policies whose name matches one of these globs. */
        excludePolicy: z.array(z.string().min(1)).optional(),
        /** Input files or folders to leave out (globs relative to the project). */
        ignore: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PolicycConfig = z.infer<typeof configSchema>;

/** Whether a value is what defineConfig returned (from this copy of the SDK or another). */
export function isDefinedConfig(x: unknown): x is PolicycConfig {
  return typeof x === "object" && x !== null && (x as { [CONFIG]?: unknown })[CONFIG] === true;
}

/** Declares the project configuration, typed: `export default defineConfig({ policies: "policies", … })`. */
export function defineConfig(config: PolicycConfig): PolicycConfig {
  return Object.defineProperty({ ...config }, CONFIG, { value: true, enumerable: false });
}
