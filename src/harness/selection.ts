/**
 * Which cases a run takes: `--filter`, gator's `--run`, the Kyverno CLI's `--test-case-selector`,
 * and `--shard I/N` for CI matrices.
 */
import type { ResultRow } from "./report.js";

/** The Kyverno CLI's `--test-case-selector policy=…,rule=…,resource=…`; absent keys match anything. */
export interface CaseSelector {
  readonly policy?: string;
  readonly rule?: string;
  readonly resource?: string;
}

/** Parses `policy=a,rule=b,resource=c` (each key optional, at least one). */
export function parseCaseSelector(s: string): CaseSelector {
  const out: Record<string, string> = {};
  for (const part of s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [key, ...rest] = part.split("=");
    const value = rest.join("=").trim();
    if (!["policy", "rule", "resource"].includes(key!.trim()) || !value)
      throw new Error(`--test-case-selector takes policy=NAME,rule=NAME,resource=NAME (got "${part}")`);
    out[key!.trim()] = value;
  }
  if (Object.keys(out).length === 0) throw new Error("--test-case-selector needs policy=, rule= or resource=");
  return out;
}

/** Whether a row is one the selector picks: its policy, its rule (or the rule's autogen forms), its resource by name, namespace/name or kind/namespace/name. */
export function selectorPicks(r: ResultRow, s: CaseSelector): boolean {
  if (s.policy !== undefined && r.policy !== s.policy) return false;
  if (s.rule !== undefined && ![s.rule, `autogen-${s.rule}`, `autogen-cronjob-${s.rule}`].includes(r.rule)) return false;
  if (s.resource !== undefined) {
    const parts = r.resource.split("/");
    const names = [r.resource, parts.at(-1), parts.slice(-2).join("/")];
    if (!names.includes(s.resource)) return false;
  }
  return true;
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new Error(`--shard must be I/N with 1 <= I <= N (got "${s}")`);
  return { index, count };
}

/**
 * Shard membership of an id met one at a time (a suite's case, read while the suite runs): a
 * stable hash of the id (FNV-1a), so each id is in exactly one shard whatever else the run holds.
 */
export function hashShard(id: string, shard: Shard | undefined): boolean {
  if (!shard) return true;
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(id)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h % shard.count === shard.index - 1;
}

/** Deterministic shard membership: items sorted by id, dealt round-robin; 1-based like vitest. */
export function inShard(ids: readonly string[], shard: Shard | undefined): Set<string> {
  const sorted = [...new Set(ids)].sort();
  return new Set(shard ? sorted.filter((_, i) => i % shard.count === shard.index - 1) : sorted);
}

/**
 * What a run selects, counting what the filters match before sharding (a run that matched cases
 * but whose shard is empty is not a run that tested nothing).
 */
export class Selection {
  matched = 0;
  constructor(private readonly o: { readonly filter?: string; readonly run?: RegExp; readonly shard?: Shard }) {}

  private wanted(id: string): boolean {
    return (!this.o.filter || id.toLowerCase().includes(this.o.filter.toLowerCase())) && (!this.o.run || this.o.run.test(id));
  }

  /** Of ids known up front (policyc's cases): those filtered, dealt into the shard. */
  select(ids: readonly string[]): Set<string> {
    const filtered = ids.filter((id) => this.wanted(id));
    this.matched += filtered.length;
    return inShard(filtered, this.o.shard);
  }

  /** An id met one at a time (a suite's case): filtered, then sharded by its hash. */
  selectOne = (id: string): boolean => {
    if (!this.wanted(id)) return false;
    this.matched++;
    return hashShard(id, this.o.shard);
  };
}
