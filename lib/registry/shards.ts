/**
 * Every way Switchboard spreads one thing over several Durable Objects, named and chosen here.
 *
 * - Sharded agents: `shards: N` spreads a stateless agent over N objects. Shard 0 is the agent's
 *   home object (named like the agent); shards 1…N−1 are `name#k` — `#` cannot appear in an agent
 *   name, so shard objects never collide with agents. The home object owns the logical breaker;
 *   sync calls and new async requests spread over all shards, each with 1/N of the concurrency cap.
 * - Shared stores sharded by key hash (the directory by agent name, dead letters and metrics
 *   aggregates by agent): a fixed count of objects `base`, `base#1` …, so no write rate queues
 *   behind one object. The counts are constants: an entry stays in the object its hash chose, so
 *   changing a count would strand entries.
 */
export interface ShardAddress {
  /** The agent's name. */
  agent: string;
  /** 0 for the home object. */
  shard: number;
}

export function shardObjectName(agent: string, shard: number): string {
  return shard === 0 ? agent : `${agent}#${shard}`;
}

export function parseObjectName(objectName: string): ShardAddress {
  const hash = objectName.indexOf("#");
  if (hash < 0) return { agent: objectName, shard: 0 };
  return { agent: objectName.slice(0, hash), shard: Number(objectName.slice(hash + 1)) };
}

/** Every object name of an agent with `shards` shards, home first. */
export function allShards(agent: string, shards: number): string[] {
  return Array.from({ length: Math.max(1, shards) }, (_, k) => shardObjectName(agent, k));
}

/** A shard's share of the agent's concurrency cap (split evenly, never below 1). */
export function shardCap(maxConcurrency: number, shards: number): number {
  return Math.max(1, Math.ceil(maxConcurrency / Math.max(1, shards)));
}

/** Where a call or a new async request goes: a uniformly random shard, so load spreads without coordination. */
export function pickShard(shards: number, random: () => number = Math.random): number {
  return shards <= 1 ? 0 : Math.min(shards - 1, Math.floor(random() * shards));
}

/** 32-bit FNV-1a of a string: stable across isolates and releases, which `Math.random` sharding is not. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The shard of `key` among `count`: always the same for the same key. */
export function keyShard(key: string, count: number): number {
  return count <= 1 ? 0 : hashKey(key) % count;
}

/** Directory objects; an agent's entry lives in `keyShard(name, DIRECTORY_SHARDS)`. */
export const DIRECTORY_SHARDS = 16;
/** Dead-letter store objects; an agent's letters live in `keyShard(agent, DEAD_LETTER_SHARDS)`. */
export const DEAD_LETTER_SHARDS = 16;
/** Metrics aggregation objects; an agent object pushes to `keyShard(agent, METRICS_SHARDS)`. */
export const METRICS_SHARDS = 16;

/** What an answer about async requests tells of a sharded agent with `flow`: the path of its key (absent: one key for all). */
export interface FlowHint {
  key?: string | undefined;
}

/**
 * Shard counts of sharded agents learnt from answers, per isolate. Every answer of a sharded
 * agent's object says how many shards it has; until a caller knows, or after the hint expires
 * (30 s), it goes to the home object, which answers with the count. An answer to an async request
 * also says whether the agent has `flow` (and its key), so a caller can send the next one straight
 * to its key's shard; a hint that is stale only costs the object a pass-on, never a wrong place.
 */
export class ShardHints {
  private readonly hints = new Map<string, { shards: number; expires: number; flow?: FlowHint | undefined }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly capacity = 10_000,
  ) {}

  /** The shard count to spread over now: 1 until an answer said more. */
  shards(agent: string, now = Date.now()): number {
    return this.route(agent, now).shards;
  }

  /** The shard count and, when an async answer told it, the agent's flow key. */
  route(agent: string, now = Date.now()): { shards: number; flow?: FlowHint | undefined } {
    const hint = this.hints.get(agent);
    return hint && hint.expires > now ? { shards: hint.shards, flow: hint.flow } : { shards: 1 };
  }

  /**
   * What an answer from `shard` said (`shards` undefined or 1: not sharded). `flow` is only told by
   * async answers: null when the agent has none, undefined when the answer did not say (kept).
   */
  learn(agent: string, shard: number, shards: number | undefined, now = Date.now(), flow?: FlowHint | null): void {
    if (shards !== undefined && shards > 1) {
      if (this.hints.size > this.capacity) this.hints.clear();
      const kept = flow === undefined ? this.hints.get(agent)?.flow : (flow ?? undefined);
      this.hints.set(agent, { shards, expires: now + this.ttlMs, flow: kept });
    } else if (shard === 0) {
      this.hints.delete(agent);
    }
  }
}
