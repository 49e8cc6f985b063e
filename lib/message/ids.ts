/**
 * Identifiers. Ids start with a time component so they sort by creation, then random bits.
 * Request ids embed the target agent (`req_<agent>_<random>`): agent names never contain `_`, so
 * `GET /requests/:id` routes straight to the agent's Durable Object with no lookup table.
 */
import { isAgentName } from "./limits";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function randomPart(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
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

export function newRequestId(agent: string, now = Date.now()): string {
  return `req_${agent}_${timePart(now)}${randomPart(12)}`;
}

/** The agent a request id belongs to, or null when the id is not one of ours. */
export function agentOfRequestId(id: string): string | null {
  const match = /^req_([a-z0-9][a-z0-9-]{0,62})_[0-9a-z]{21}$/.exec(id);
  const agent = match?.[1];
  return agent && isAgentName(agent) ? agent : null;
}
