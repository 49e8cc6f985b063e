/**
 * Stream ids name the object that keeps the stream, as request ids name their agent:
 * `str_<agent>_<shard>_<21 chars>`. Agent names never contain `_`, so `GET /streams/:id` reaches
 * the right Durable Object (or shard) with no lookup table. An async request's stream is kept by
 * the object that holds the request (the shard its id names) and named after the request, so its
 * id needs no storage either.
 */
import { newId, requestAddress } from "../message/ids";
import { isAgentName } from "../message/limits";
import type { ShardAddress } from "../registry/shards";

export function newStreamId(home: ShardAddress, now = Date.now()): string {
  return `str_${home.agent}_${home.shard}_${newId("x", now).slice(2)}`;
}

/** The object that keeps stream `id`, or null when the id is not one of ours. */
export function streamHome(id: string): ShardAddress | null {
  const match = /^str_([a-z0-9][a-z0-9-]{0,62})_(\d{1,2})_[0-9a-z]{21}$/.exec(id);
  if (!match?.[1] || !isAgentName(match[1])) return null;
  return { agent: match[1], shard: Number(match[2]) };
}

/** The stream of async request `requestId` (`req_<agent>_<r>[_<k>]` → `str_<agent>_<k>_<r>`); null when it is not a request id. */
export function requestStreamId(requestId: string): string | null {
  const address = requestAddress(requestId);
  if (!address) return null;
  const random = requestId.slice(`req_${address.agent}_`.length, `req_${address.agent}_`.length + 21);
  return `str_${address.agent}_${address.shard}_${random}`;
}

/** The async request whose stream `id` is (the inverse of `requestStreamId`); null when it is not shaped like one. */
export function streamRequestId(id: string): string | null {
  const home = streamHome(id);
  if (!home) return null;
  const random = id.slice(`str_${home.agent}_${home.shard}_`.length);
  return `req_${home.agent}_${random}${home.shard > 0 ? `_${home.shard}` : ""}`;
}
