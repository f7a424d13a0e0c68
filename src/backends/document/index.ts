/** A Kubernetes document a backend produces (plain JSON-compatible data). */
export type Document = {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string } & Record<string, unknown>;
} & Record<string, unknown>;

/** The documents of one policy for one target, written together to one file. */
export interface TargetOutput {
  readonly target: "kyverno" | "kyverno-legacy" | "kubernetes" | "gatekeeper";
  readonly policy: string;
  readonly documents: readonly Document[];
  /** A mutation's documents (written under `<target>/mutations/`), not a validating policy's. */
  readonly mutation?: true;
}

/** Labels every generated object carries, so clusters can find what policyc manages. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "policyc" } as const;
