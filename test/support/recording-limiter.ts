/**
 * A real rate limiting binding with every call it receives written down, oldest first: wraps the
 * binding (nothing is faked), so tests can see which checks a RateLedger made and with what delta.
 * Used inside workerd by test/workers/rate-limit.test.ts and by the `wrangler dev` fixture worker
 * of test/e2e/rate-ledger.test.ts.
 */
export function recordingLimiter(real: RateLimit): { limiter: RateLimit; calls: RateLimitOptions[] } {
  const calls: RateLimitOptions[] = [];
  const limiter: RateLimit = {
    limit: (options) => {
      calls.push(options);
      return real.limit(options);
    },
  };
  return { limiter, calls };
}
