/**
 * Sharded agents: `shards: N` spreads a stateless agent over N Durable Objects. Shard 0 is the
 * agent's home object (named like the agent); shards 1…N−1 are `name#k` — `#` cannot appear in an
 * agent name, so shard objects never collide with agents. The home object owns what must have one
 * owner (the logical breaker, async requests, observers); sync calls spread over all shards, each
 * with 1/N of the concurrency cap.
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

/** Where a sync call goes: a uniformly random shard, so load spreads without coordination. */
export function pickShard(shards: number, random: () => number = Math.random): number {
  return shards <= 1 ? 0 : Math.min(shards - 1, Math.floor(random() * shards));
}
