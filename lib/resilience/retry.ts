/**
 * The one retry decision, for every path that retries (async delivery, replies POSTed to URLs,
 * observer fan-out, a batch item the model skipped): after failed attempt n, retry when the
 * failure is transient and n ≤ max_retries, after min(max_retry_delay_ms, retry_delay_ms · 2^(n−1))
 * with "equal jitter" (half the delay fixed, half random, so retries spread out but never collapse
 * to zero), and never sooner than the failure's own `retry_after` (an open breaker's next probe).
 * Transient is the failure's own verdict (lib/message/errors.ts); sync invoke uses the same verdict
 * to decide what its breaker counts.
 */
import type { Failure } from "../message/errors";

/** The retry fields of an agent's `limits` (lib/registry/entry.ts). */
export interface RetryLimits {
  max_retries: number;
  retry_delay_ms: number;
  max_retry_delay_ms: number;
}

/** What to do after a failed attempt: the same shape on every path. */
export type RetryDecision = { retry: true; delay_seconds: number } | { retry: false; permanent: boolean };

/** HTTP statuses of a remote agent that are worth retrying (the wire protocol in docs/agents.md). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** After failed attempt `n` (1-based, counted since the retry budget began). */
export function retryDecision(failure: Pick<Failure, "transient" | "retry_after">, n: number, limits: RetryLimits, random?: () => number): RetryDecision {
  if (failure.transient !== true) return { retry: false, permanent: true };
  if (n > limits.max_retries) return { retry: false, permanent: false };
  return { retry: true, delay_seconds: Math.max(backoffSeconds(n, limits, random), failure.retry_after ?? 0) };
}

/** Milliseconds to wait before retry `n` (1-based). */
export function backoffMs(n: number, limits: Pick<RetryLimits, "retry_delay_ms" | "max_retry_delay_ms">, random: () => number = Math.random): number {
  const exponential = limits.retry_delay_ms * 2 ** Math.max(0, n - 1);
  const capped = Math.min(limits.max_retry_delay_ms, exponential);
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/** Queue retries take whole seconds; round up so a retry never comes early. */
export function backoffSeconds(n: number, limits: Pick<RetryLimits, "retry_delay_ms" | "max_retry_delay_ms">, random?: () => number): number {
  return Math.ceil(backoffMs(n, limits, random) / 1000);
}
