/** Percentiles and summaries of latency samples, and the ratios the report prints. */

export interface LoadStats {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** CPU per request sent of the workerd running the worker, in µs, when it was metered. */
  cpu_us_per_request?: number;
  /** The same for wrangler's dev proxy in front of it, which production does not have. */
  dev_proxy_cpu_us_per_request?: number;
}

/** Nearest-rank percentile of an ascending array; NaN for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function summarise(latencies: readonly number[], errors: number, seconds: number): LoadStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const requests = latencies.length;
  return {
    requests,
    errors,
    seconds: round(seconds, 3),
    rps: round(seconds > 0 ? requests / seconds : 0, 1),
    p50_ms: round(percentile(sorted, 50), 2),
    p95_ms: round(percentile(sorted, 95), 2),
    p99_ms: round(percentile(sorted, 99), 2),
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** subject / baseline, rounded for the report; NaN when the baseline is 0. */
export function ratio(subject: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : round(subject / baseline, 2);
}
