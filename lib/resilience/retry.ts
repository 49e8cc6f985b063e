/**
 * Retry policy: which failures are worth retrying and how long to wait before attempt n.
 * Retry n waits min(max_retry_delay_ms, retry_delay_ms · 2^(n−1)) with "equal jitter": half the
 * delay fixed, half random, so retries spread out but never collapse to zero.
 */
import type { Failure } from "../message/errors";
import type { Limits } from "../registry/entry";

/** HTTP statuses of a remote agent that are worth retrying (the wire protocol in docs/agents.md). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function shouldRetry(failure: Failure, attempt: number, limits: Pick<Limits, "max_retries">): boolean {
  return failure.transient === true && attempt <= limits.max_retries;
}

/** Milliseconds to wait before retry `n` (1-based). */
export function backoffMs(n: number, limits: Pick<Limits, "retry_delay_ms" | "max_retry_delay_ms">, random: () => number = Math.random): number {
  const exponential = limits.retry_delay_ms * 2 ** Math.max(0, n - 1);
  const capped = Math.min(limits.max_retry_delay_ms, exponential);
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/** Queue retries take whole seconds; round up so a retry never comes early. */
export function backoffSeconds(n: number, limits: Pick<Limits, "retry_delay_ms" | "max_retry_delay_ms">, random?: () => number): number {
  return Math.ceil(backoffMs(n, limits, random) / 1000);
}
