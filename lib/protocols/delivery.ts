/**
 * Messages on the `switchboard-deliveries` queue and what the consumer does with each outcome.
 *
 * - `deliver`: run a stored async request against its agent (`AgentDO.deliver`).
 * - `reply`: hand a reply envelope to the agent named in `reply_to` (`AgentDO.receiveReply`).
 * - `post`: POST a reply envelope to a `reply_to` URL, signed.
 *
 * Replies travel by reference (`source`: the request whose stored reply it is), so the queue's
 * 128 KB message limit never applies to them; an inline `envelope` is still accepted.
 *
 * `replay_of` marks a message re-sent from the dead-letter store, so its entry can be removed when it
 * is delivered, or updated when it fails again.
 */
import type { Envelope } from "../message/envelope";
import type { DeadLetter } from "../resilience/dead-letter";

export type DeliveryMessage =
  | { kind: "deliver"; agent: string; request_id: string; replay_of?: string }
  | { kind: "reply"; agent: string; shard?: number; source?: ReplySource; envelope?: Envelope; replay_of?: string }
  | { kind: "post"; agent: string; url: string; source?: ReplySource; envelope?: Envelope; replay_of?: string };

/** Where a reply is stored: the request (and its agent) that produced it. */
export interface ReplySource {
  agent: string;
  request_id: string;
}

/**
 * What to do with one queue message after handling it. `ack` with `settles`: the message was a
 * replay that got through, so that dead letter goes. `dead_letter`: the consumer stores the letter;
 * `dead_lettered`: the agent's object already holds it (and stores it), so just ack.
 */
export type DeliveryAction =
  | { action: "ack"; settles?: string }
  | { action: "retry"; delay_seconds: number }
  | { action: "dead_letter"; letter: Omit<DeadLetter, "queue" | "body"> }
  | { action: "dead_lettered" };

/**
 * One request's answer when a queue batch's requests of one object are delivered in one call
 * (`AgentQueueApi.deliverAll`): what to do with its message, or the error its attempt threw, so
 * the consumer retries that message alone, as when its own call failed.
 */
export type BatchedDelivery = { ok: true; action: DeliveryAction } | { ok: false; error: string };

/** Ack of a message that got through; when it replays dead letter `replayOf`, that letter is settled. */
export function delivered(replayOf: string | null | undefined): DeliveryAction {
  return replayOf ? { action: "ack", settles: replayOf } : { action: "ack" };
}

/**
 * Where the reply of `agent` to a request goes: to the agent named in `replyTo` (addressed to it; to
 * its shard `replyShard`, the one waiting, when that is not its home object), or POSTed to a
 * `replyTo` URL (addressed as the handler answered).
 */
export function replyDelivery(agent: string, replyTo: string, requestId: string, replyShard = 0): DeliveryMessage {
  const source = { agent, request_id: requestId };
  if (replyTo.startsWith("http")) return { kind: "post", agent, url: replyTo, source };
  return { kind: "reply", agent: replyTo, ...(replyShard > 0 ? { shard: replyShard } : {}), source };
}

export function isDeliveryMessage(body: unknown): body is DeliveryMessage {
  if (typeof body !== "object" || body === null) return false;
  const kind = (body as { kind?: unknown }).kind;
  return (kind === "deliver" || kind === "reply" || kind === "post") && typeof (body as { agent?: unknown }).agent === "string";
}
