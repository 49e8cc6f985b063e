/**
 * Where a verified webhook's replay id is remembered: one record per inbound secret, not per
 * agent. A delivery signed with a secret can then be accepted once in all, even when an admin
 * configured the same secret on several agents — accepted by one, it is a replay for every other.
 * The record is named by a digest of the secret, so the secret itself is never a storage key;
 * `durable-objects/webhook-replay-do.ts` implements it.
 */
const encoder = new TextEncoder();

/** The replay record of one inbound webhook secret. */
export interface WebhookReplayApi {
  /** Records `id` for `ttlMs`; false when it is already recorded (a replay). */
  remember(id: string, ttlMs: number): boolean;
  forget(id: string): void;
}

/** The name of the replay record for deliveries verified by `secret` (64 hex digits). */
export async function replayScope(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`switchboard-webhook-replays\0${secret}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
