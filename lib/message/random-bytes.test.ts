import { describe, expect, it } from "vitest";
import { newId } from "./ids";
import { POOL_BYTES, randomBytes } from "./random-bytes";
import { newTraceparent, parseTraceparent } from "./trace";

describe("randomBytes", () => {
  it("hands out fresh bytes across refills of the pool", () => {
    const seen = new Set<string>();
    // Several pools' worth, in sizes that do not divide the pool, so refills fall mid-request.
    for (let i = 0; i < (3 * POOL_BYTES) / 12; i++) {
      const bytes = randomBytes(12);
      expect(bytes).toHaveLength(12);
      seen.add(Array.from(bytes).join(","));
    }
    expect(seen.size).toBe((3 * POOL_BYTES) / 12);
  });

  it("gives ids and traces that do not repeat", () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId("msg")));
    expect(ids.size).toBe(2000);
    const traces = Array.from({ length: 2000 }, () => newTraceparent());
    expect(new Set(traces).size).toBe(2000);
    for (const t of traces.slice(0, 50)) expect(parseTraceparent(t)).not.toBeNull();
  });
});
