import type { Enforcement } from "../ir/index.js";
import type { TestCase } from "../sdk/index.js";

/** How a consumer tunes a library policy. Every option is optional unless the policy has a required parameter. */
export interface LibraryOptions<P = Record<string, never>> {
  /** The policy's name, and its generated objects' (default: the library's name). Two uses of one policy need two names. */
  readonly name?: string;
  /** Parameters of the policy's one instance; defaults fill what is left out. */
  readonly params?: P;
  /** Named instances instead of the one: each becomes its own Constraint, ValidatingPolicy and VAP (`name-instance`). */
  readonly instances?: readonly { readonly name: string; readonly params: P }[];
  /** enforce (default), audit or warn. */
  readonly enforcement?: Enforcement;
  /** Namespaces left out; replaces the policy's default (see docs/library.md). */
  readonly excludeNamespaces?: readonly string[];
  /**
   * Test cases run by `policyc test`. Default: the library's own cases, when the policy keeps its
   * documented parameters (the defaults, or the example values of a required parameter).
   */
  readonly tests?: readonly TestCase[];
}

/** Options of a policy with a required parameter: `params` (or `instances`) must be given. */
export type RequiredParams<P> = LibraryOptions<P> & ({ readonly params: P } | { readonly instances: LibraryOptions<P>["instances"] });

/** What every library policy takes from its options: name, enforcement, instances, and its cases when they apply. */
export function fromOptions<P>(
  name: string,
  options: LibraryOptions<P>,
  cases: readonly TestCase[],
  example?: P,
): {
  name: string;
  enforcement: Enforcement;
  instances?: readonly { readonly name?: string; readonly params: P }[];
  tests: readonly TestCase[];
} {
  const instances = options.instances ?? (options.params !== undefined ? [{ params: options.params }] : undefined);
  const documented = options.instances === undefined && (options.params === undefined || sameJson(options.params, example));
  return {
    name: options.name ?? name,
    enforcement: options.enforcement ?? "enforce",
    ...(instances ? { instances } : {}),
    tests: options.tests ?? (documented ? cases : []),
  };
}

/** `{ excludeNamespaces }` for `match`: the consumer's choice, else the policy's default. */
export function exclusions(options: LibraryOptions<unknown>, byDefault: readonly string[] = []): { excludeNamespaces?: readonly string[] } {
  const list = options.excludeNamespaces ?? byDefault;
  return list.length ? { excludeNamespaces: list } : {};
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Namespaces of the cluster's own components, which most workload policies leave out by default. */
export const SYSTEM_NAMESPACES = ["kube-system"] as const;
