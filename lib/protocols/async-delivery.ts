/**
 * What one delivery attempt of an async request means for its durable state and for the queue
 * message that carried it: replied → ack; transient failure within the retry budget → retry with
 * backoff (never sooner than an open breaker's next probe); anything else → dead letter. Permanent
 * failures are not retried (status `failed`); exhausted retries end `dead_lettered`. Both land in the
 * dead-letter store, where they can be inspected and replayed. An attempt whose handler asked for
 * input leaves the request `input_required`. A cancelled attempt ends the request
 * `cancelled`: someone asked for it to stop, so it is neither retried nor dead-lettered.
 */
import type { InvokeResult } from "../message/call";
import type { Limits } from "../registry/entry";
import type { DeadLetter } from "../resilience/dead-letter";
import { retryDecision } from "../resilience/retry";
import type { DeliveryAction } from "./delivery";
import type { RequestRow } from "./request-store";
import { askedQuestion } from "./input-wait";

/** How long a pending request waits for its queue message before it is enqueued again. @default 120000 */
export const DEFAULT_LEASE_MS = 120_000;

/** `SWITCHBOARD_DELIVERY_LEASE_MS`: a lease of at least a second, or the default. */
export function leaseMs(value: string | undefined): number {
  const ms = Number(value);
  return Number.isInteger(ms) && ms >= 1000 ? ms : DEFAULT_LEASE_MS;
}

export interface AttemptOutcome {
  patch: Partial<RequestRow>;
  /** `dead_lettered`: the row's final status is written with its letter (`requestLetter`). */
  action: DeliveryAction;
}

/**
 * `lease` is how long the request may wait for its next queue message: a retry keeps its lease for
 * the backoff plus `lease`; a finished request has none.
 */
export function afterAttempt(row: RequestRow, result: InvokeResult, limits: Limits, now: number, lease: number, random?: () => number): AttemptOutcome {
  const attempts = row.attempts + 1;
  // The handler asked instead of answering: the request waits for input (not a failure, not retried).
  const asked = result.ok ? askedQuestion(result.reply) : null;
  // It holds no lease while it waits: only an answer makes it owe the queue an attempt again.
  if (asked?.ok && result.ok) {
    return { patch: { status: "input_required", attempts, question: result.reply, error: null, lease_until: null }, action: { action: "ack" } };
  }
  if (asked && !asked.ok) return afterAttempt(row, asked, limits, now, lease, random);
  if (result.ok) {
    return { patch: { status: "replied", attempts, reply: result.reply, error: null, lease_until: null }, action: { action: "ack" } };
  }
  const error = { code: result.code, detail: result.detail };
  if (result.code === "cancelled") return { patch: { status: "cancelled", attempts, error, lease_until: null }, action: { action: "ack" } };
  const first = row.first_failed_at ?? now;
  const failed = { attempts, error, first_failed_at: first, last_failed_at: now };
  const decision = retryDecision(result, attempts - row.budget_from, limits, random);
  if (decision.retry) {
    const patch = { ...failed, status: "pending" as const, lease_until: now + decision.delay_seconds * 1000 + lease };
    return { patch, action: { action: "retry", delay_seconds: decision.delay_seconds } };
  }
  return { patch: { ...failed, status: decision.permanent ? "failed" : "dead_lettered", lease_until: null }, action: { action: "dead_lettered" } };
}

/**
 * The dead letter of a request that failed for good, built from its row alone: the full message
 * and the request's settings, so a replay can recreate the request after its row was pruned, and a
 * reference (`body`) that is all a queue message ever has to carry.
 */
export function requestLetter(row: RequestRow): DeadLetter {
  const agent = row.message.to;
  const at = (ms: number | null) => new Date(ms ?? row.updated_at).toISOString();
  return {
    ...(row.letter_id ? { id: row.letter_id } : {}),
    agent,
    queue: "deliveries",
    body: { kind: "deliver", agent, request_id: row.request_id },
    message: row.message,
    request: { reply_to: row.reply_to, timeout_ms: row.timeout_ms },
    error: row.error ?? { code: "agent_error", detail: "delivery failed" },
    attempts: row.attempts,
    first_failed_at: at(row.first_failed_at),
    last_failed_at: at(row.last_failed_at),
  };
}
