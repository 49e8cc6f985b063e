/**
 * What one delivery attempt of an async request means for its durable state and for the queue
 * message that carried it: replied → ack; transient failure within the retry budget → retry with
 * backoff (never sooner than an open breaker's next probe); anything else → dead letter. Permanent
 * failures are not retried (status `failed`); exhausted retries end `dead_lettered`. Both land in the
 * dead-letter store, where they can be inspected and replayed. A cancelled attempt ends the request
 * `cancelled`: someone asked for it to stop, so it is neither retried nor dead-lettered.
 */
import type { InvokeResult } from "../message/call";
import type { Limits } from "../registry/entry";
import { retryDecision } from "../resilience/retry";
import type { DeliveryAction } from "./delivery";
import type { RequestRow } from "./request-store";

export interface AttemptOutcome {
  patch: Partial<RequestRow>;
  action: DeliveryAction;
}

export function afterAttempt(row: RequestRow, result: InvokeResult, limits: Limits, now: number, random?: () => number): AttemptOutcome {
  const attempts = row.attempts + 1;
  if (result.ok) {
    return { patch: { status: "replied", attempts, reply: result.reply, error: null }, action: { action: "ack" } };
  }
  const error = { code: result.code, detail: result.detail };
  if (result.code === "cancelled") return { patch: { status: "cancelled", attempts, error }, action: { action: "ack" } };
  const first = row.first_failed_at ?? now;
  const failed = { attempts, error, first_failed_at: first, last_failed_at: now };
  const decision = retryDecision(result, attempts - row.budget_from, limits, random);
  if (decision.retry) return { patch: { ...failed, status: "pending" }, action: { action: "retry", delay_seconds: decision.delay_seconds } };
  return {
    patch: { ...failed, status: decision.permanent ? "failed" : "dead_lettered" },
    action: {
      action: "dead_letter",
      letter: {
        agent: row.message.to,
        message: row.message,
        error,
        attempts,
        first_failed_at: new Date(first).toISOString(),
        last_failed_at: new Date(now).toISOString(),
      },
    },
  };
}
