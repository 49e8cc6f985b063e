/**
 * Observer fan-out: one queue message per observer, so each delivery is retried and dead-lettered
 * on its own and one slow or failing observer never delays the others. The retry policy is the
 * observed agent's `limits` at the time of the event, carried in every message.
 */
import { makeEnvelope } from "../message/call";
import type { Envelope } from "../message/envelope";
import type { Failure } from "../message/errors";
import { newId } from "../message/ids";
import type { Limits } from "../registry/entry";
import { retryDecision } from "../resilience/retry";
import type { Observer } from "./observer";

export type FanoutPolicy = Pick<Limits, "max_retries" | "retry_delay_ms" | "max_retry_delay_ms" | "timeout_ms">;

/** A body on the `switchboard-fanout` queue; also what a fan-out dead letter replays. */
export interface FanoutMessage {
  kind: "fanout";
  event_id: string;
  /** The agent whose event this is (the `from` of the delivery). */
  observed: string;
  observer_id: string;
  /** Exactly one of `observer` (agent name) and `url`. */
  observer?: string;
  url?: string;
  /** The `event` message delivered: content `{ event, data }`, metadata `{ event, event_id }`. */
  envelope: Envelope;
  policy: FanoutPolicy;
  /** Agents the event already passed through before `observed` (an observer that notifies in turn grows it, so event loops end with 508). */
  path: string[];
  /** Set by `POST /dlq/:id/replay`: the dead-letter entry this delivery replays. */
  replay_of?: string;
}

/** Serialised event data larger than this is refused (a queue message holds at most 128 KB). @default 98304 */
export const MAX_EVENT_BYTES = 96 * 1024;

export function planFanout(
  init: { observed: string; event: string; data: unknown; observers: Observer[]; policy: FanoutPolicy; traceparent?: string | null; path?: string[] },
  now = Date.now(),
): { event_id: string; messages: FanoutMessage[] } {
  const event_id = newId("evt", now);
  const messages = init.observers.map((o): FanoutMessage => {
    const envelope = makeEnvelope({
      from: init.observed,
      to: o.observer ?? (o.url as string),
      role: "event",
      content: { event: init.event, data: init.data ?? null },
      metadata: { event: init.event, event_id, observer_id: o.id },
      traceparent: init.traceparent,
      now,
    });
    const target = o.observer !== undefined ? { observer: o.observer } : { url: o.url as string };
    return { kind: "fanout", event_id, observed: init.observed, observer_id: o.id, ...target, envelope, policy: init.policy, path: init.path ?? [] };
  });
  return { event_id, messages };
}

export type FanoutDecision = { action: "ack" } | { action: "retry"; delay_seconds: number } | { action: "dead_letter" };

/**
 * What to do with a delivery after attempt `attempts` (1-based): ack on success; retry transient
 * failures with backoff while `max_retries` allows; otherwise dead-letter (permanent failures such
 * as 403 or a 4xx from a URL observer are dead-lettered at once).
 */
export function afterDelivery(failure: Failure | null, attempts: number, policy: FanoutPolicy, random?: () => number): FanoutDecision {
  if (failure === null) return { action: "ack" };
  const decision = retryDecision(failure, attempts, policy, random);
  return decision.retry ? { action: "retry", delay_seconds: decision.delay_seconds } : { action: "dead_letter" };
}

export function isFanoutMessage(body: unknown): body is FanoutMessage {
  if (typeof body !== "object" || body === null) return false;
  const m = body as Partial<FanoutMessage>;
  return (
    m.kind === "fanout" && typeof m.observed === "string" && typeof m.envelope === "object" && (typeof m.observer === "string" || typeof m.url === "string")
  );
}
