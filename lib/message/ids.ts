/**
 * Identifiers. Ids start with a time component so they sort by creation, then random bits.
 * Request ids embed the target agent and, for a sharded agent, the shard that holds the request
 * (`req_<agent>_<time+random>` on the home object, `…_<k>` on shard k): agent names never contain
 * `_`, so `GET /requests/:id` and every delivery route straight to the object that holds the
 * request, with no lookup table.
 */
import { isAgentName } from "./limits";
import { randomBytes } from "./random-bytes";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function randomPart(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}

function timePart(now: number): string {
  let n = now;
  let out = "";
  for (let i = 0; i < 9; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${timePart(now)}${randomPart(12)}`;
}

/** A new request id for `agent`, held by its shard `shard` (0: the home object). */
export function newRequestId(agent: string, now = Date.now(), shard = 0): string {
  return `req_${agent}_${timePart(now)}${randomPart(12)}${shard > 0 ? `_${shard}` : ""}`;
}

/** The agent a request id belongs to and the shard that holds it, or null when the id is not one of ours. */
export function requestAddress(id: string): { agent: string; shard: number } | null {
  const match = /^req_([a-z0-9][a-z0-9-]{0,62})_[0-9a-z]{21}(?:_([1-9][0-9]?))?$/.exec(id);
  const agent = match?.[1];
  return agent && isAgentName(agent) ? { agent, shard: Number(match?.[2] ?? 0) } : null;
}
