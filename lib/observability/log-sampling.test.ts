import { describe, expect, it } from "vitest";
import { keepsRow } from "./log-sampling";

const traceIds = Array.from({ length: 4000 }, (_, i) => (i * 2654435761).toString(16).padStart(32, "0").slice(-32));

describe("keepsRow", () => {
  it("keeps every failure and about the sampled share of successes", () => {
    expect(traceIds.every((trace_id) => keepsRow({ outcome: "agent_error", trace_id }, 0.1))).toBe(true);
    expect(traceIds.every((trace_id) => keepsRow({ outcome: "ok", trace_id }, 1))).toBe(true);
    const kept = traceIds.filter((trace_id) => keepsRow({ outcome: "ok", trace_id }, 0.1)).length;
    expect(kept).toBeGreaterThan(300);
    expect(kept).toBeLessThan(500);
  });

  it("decides by trace, so agents sampling at one rate keep the same flows", () => {
    for (const trace_id of traceIds.slice(0, 200)) {
      expect(keepsRow({ outcome: "ok", trace_id }, 0.25)).toBe(keepsRow({ outcome: "forwarded", trace_id }, 0.25));
      // A trace kept at a rate is kept at every higher rate.
      if (keepsRow({ outcome: "ok", trace_id }, 0.1)) expect(keepsRow({ outcome: "ok", trace_id }, 0.5)).toBe(true);
    }
    expect(keepsRow({ outcome: "ok", trace_id: null }, 0.5, () => 0.4)).toBe(true);
    expect(keepsRow({ outcome: "ok", trace_id: null }, 0.5, () => 0.6)).toBe(false);
  });
});
