/**
 * Messages on the `switchboard-deliveries` queue and what the consumer does with each outcome.
 *
 * - `deliver`: run a stored async request against its agent (`AgentDO.deliver`).
 * - `reply`: hand a reply envelope to the agent named in `reply_to` (`AgentDO.receiveReply`).
 * - `post`: POST a reply envelope to a `reply_to` URL, signed.
 *
 * `replay_of` marks a message re-sent from the dead-letter store, so its entry can be removed when it
 * is delivered, or updated when it fails again.
 */
import type { Envelope } from "../message/envelope";
import type { DeadLetter } from "../resilience/dead-letter";

export type DeliveryMessage =
  | { kind: "deliver"; agent: string; request_id: string; replay_of?: string }
  | { kind: "reply"; agent: string; envelope: Envelope; replay_of?: string }
  | { kind: "post"; agent: string; url: string; envelope: Envelope; replay_of?: string };

/** What to do with one queue message after handling it. */
export type DeliveryAction =
  | { action: "ack" }
  | { action: "retry"; delay_seconds: number }
  | { action: "dead_letter"; letter: Omit<DeadLetter, "queue" | "body"> };

/**
 * Where the reply of `agent` to a request goes: to the agent named in `replyTo` (addressed to it), or
 * POSTed to a `replyTo` URL (addressed as the handler answered).
 */
export function replyDelivery(agent: string, replyTo: string, reply: Envelope): DeliveryMessage {
  if (replyTo.startsWith("http")) return { kind: "post", agent, url: replyTo, envelope: reply };
  return { kind: "reply", agent: replyTo, envelope: { ...reply, to: replyTo } };
}

export function isDeliveryMessage(body: unknown): body is DeliveryMessage {
  if (typeof body !== "object" || body === null) return false;
  const kind = (body as { kind?: unknown }).kind;
  return (kind === "deliver" || kind === "reply" || kind === "post") && typeof (body as { agent?: unknown }).agent === "string";
}
