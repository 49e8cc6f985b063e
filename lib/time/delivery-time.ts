/**
 * When an async message is delivered: now, or later with `deliver_at` (RFC 3339) or `delay_ms`.
 * The route turns either into one absolute time (epoch ms) where the message enters, like every
 * deadline; the object then holds the message until that time (./scheduled-store.ts). Queues can
 * only delay a message 12 hours, so anything later waits in the agent's object, not in the queue.
 */
import { SwitchboardError } from "../message/errors";
import { LIMITS } from "../message/limits";

/**
 * The time a message with these fields is due, or null for "now". A `deliver_at` in the past or
 * beyond the limit is refused naming the field, so nothing is created.
 */
export function dueTime(body: { deliver_at?: string | undefined; delay_ms?: number | undefined }, now: number): number | null {
  if (body.deliver_at !== undefined && body.delay_ms !== undefined) {
    throw new SwitchboardError("invalid_request", "deliver_at, delay_ms: give one of them, not both");
  }
  if (body.delay_ms !== undefined) return body.delay_ms === 0 ? null : now + body.delay_ms;
  if (body.deliver_at === undefined) return null;
  const at = Date.parse(body.deliver_at);
  if (at <= now) throw new SwitchboardError("invalid_request", `deliver_at: ${body.deliver_at} is in the past; omit it to deliver now`);
  if (at - now > LIMITS.maxDelayMs)
    throw new SwitchboardError("invalid_request", `deliver_at: at most 365 days ahead (${new Date(now + LIMITS.maxDelayMs).toISOString()})`);
  return at;
}
