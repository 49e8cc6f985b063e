/**
 * Durable Object stubs. Stubs are I/O objects bound to the request that created them, so we cache
 * the per-isolate part that is safe to share, the DurableObjectId (idFromName hashes the name), and
 * make a fresh stub per request.
 */
import type { AgentDO } from "../durable-objects/agent-do";
import type { DeadLetterDO } from "../durable-objects/dead-letter-do";
import type { DirectoryDO } from "../durable-objects/directory-do";
import type { Call } from "../lib/agents/call";
import type { InvokeResult } from "../lib/agents/pipeline";
import { failure } from "../lib/message/errors";
import { pickShard, shardObjectName } from "../lib/registry/shards";
import type { TraceDO } from "../durable-objects/trace-do";

const ids = new WeakMap<object, Map<string, DurableObjectId>>();

function idOf(namespace: DurableObjectNamespace<any>, name: string): DurableObjectId {
  let byName = ids.get(namespace);
  if (!byName) {
    byName = new Map();
    ids.set(namespace, byName);
  }
  let id = byName.get(name);
  if (!id) {
    id = namespace.idFromName(name);
    if (byName.size > 10_000) byName.clear();
    byName.set(name, id);
  }
  return id;
}

/**
 * The agent's RPC surface as plain promises. Workers' generated RPC types cannot express JSON
 * values typed `unknown` (message content), so we state the methods' real types here.
 */
export type RpcOf<T> = {
  [K in keyof T as T[K] extends (...args: any[]) => any ? K : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};
export type AgentRpc = RpcOf<AgentDO>;

export function agentStub(env: Env, name: string): AgentRpc {
  return env.AGENT.get(idOf(env.AGENT, name)) as unknown as AgentRpc;
}

export function directoryStub(env: Env): DurableObjectStub<DirectoryDO> {
  return env.DIRECTORY.get(idOf(env.DIRECTORY, "directory"));
}

export function deadLetterStub(env: Env): RpcOf<DeadLetterDO> {
  return env.DEAD_LETTER_STORE.get(idOf(env.DEAD_LETTER_STORE, "dlq")) as unknown as RpcOf<DeadLetterDO>;
}

/**
 * Shard counts learnt from answers (per isolate). A sharded agent's objects say how many shards it
 * has in every answer; until we know, or after the hint expires, calls go to the home object.
 */
const shardHints = new Map<string, { shards: number; expires: number }>();
const SHARD_HINT_TTL_MS = 30_000;

/**
 * Breakers known open, per isolate: while an agent's breaker is open, calls fail fast here without
 * a round trip to its object. Cached for at most a second and never past the next probe, so a
 * reset or a due probe is seen within a second. These rejections do not reach the agent's log.
 */
const openBreakers = new Map<string, { until: number; nextProbeAt: number }>();
const OPEN_BREAKER_CACHE_MS = 1000;

/** A sync call to an agent, spread over its shards when it has more than one. */
export async function invokeAgent(env: Env, name: string, call: Call): Promise<InvokeResult> {
  const open = openBreakers.get(name);
  if (open !== undefined) {
    const now = Date.now();
    if (open.until > now) {
      const wait = open.nextProbeAt - now;
      return failure("circuit_open", `circuit for ${name} is open; next probe in ${Math.ceil(wait / 1000)} s`, {
        retry_after: Math.max(1, Math.ceil(wait / 1000)),
        open_breaker: name,
      });
    }
    openBreakers.delete(name);
  }
  const hint = shardHints.get(name);
  const shards = hint && hint.expires > Date.now() ? hint.shards : 1;
  const shard = pickShard(shards);
  const result = await agentStub(env, shardObjectName(name, shard)).invoke(call);
  if (result.shards !== undefined && result.shards > 1) {
    if (shardHints.size > 10_000) shardHints.clear();
    shardHints.set(name, { shards: result.shards, expires: Date.now() + SHARD_HINT_TTL_MS });
  } else if (shard === 0) {
    shardHints.delete(name);
  }
  if (!result.ok && result.code === "circuit_open" && result.open_breaker === name && result.retry_after_ms !== undefined) {
    if (openBreakers.size > 10_000) openBreakers.clear();
    const now = Date.now();
    openBreakers.set(name, { until: now + Math.min(result.retry_after_ms, OPEN_BREAKER_CACHE_MS), nextProbeAt: now + result.retry_after_ms });
  }
  return result;
}

/** The trace-index shard that lists the agents of the traces in it (lib/observability/trace-index.ts). */
export function traceIndexStub(env: Env, shard: number): DurableObjectStub<TraceDO> {
  return env.TRACE.get(idOf(env.TRACE, `traces-${shard}`));
}
