import { describe, expect, it } from "vitest";
import { backoffMs, backoffSeconds, isTransientStatus, retryDecision } from "./retry";

const limits = { retry_delay_ms: 1000, max_retry_delay_ms: 300_000 };

describe("retry policy", () => {
  it("waits min(max, base·2^(n−1)) with jitter between half and all of it", () => {
    for (let n = 1; n <= 12; n++) {
      const cap = Math.min(300_000, 1000 * 2 ** (n - 1));
      expect(backoffMs(n, limits, () => 0)).toBe(cap / 2);
      expect(backoffMs(n, limits, () => 0.999999)).toBeCloseTo(cap, -1);
    }
  });

  it("rounds queue delays up to whole seconds", () => {
    expect(backoffSeconds(1, limits, () => 0)).toBe(1);
    expect(backoffSeconds(1, { retry_delay_ms: 0, max_retry_delay_ms: 0 })).toBe(0);
  });

  it("treats 408, 429 and 5xx as transient, other 4xx as permanent", () => {
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isTransientStatus)).toBe(false);
  });

  it("decides every retry the same way: permanent never, transient until max_retries, never before retry_after", () => {
    const budget = { max_retries: 2, ...limits };
    const half = () => 0.5;
    expect(retryDecision({ transient: false }, 1, budget, half)).toEqual({ retry: false, permanent: true });
    expect(retryDecision({ transient: true }, 1, budget, half)).toEqual({ retry: true, delay_seconds: 1 });
    expect(retryDecision({ transient: true }, 2, budget, half)).toEqual({ retry: true, delay_seconds: 2 });
    expect(retryDecision({ transient: true }, 3, budget, half)).toEqual({ retry: false, permanent: false });
    expect(retryDecision({ transient: true, retry_after: 30 }, 1, budget, half)).toEqual({ retry: true, delay_seconds: 30 });
  });
});
