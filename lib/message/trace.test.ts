import { describe, expect, it } from "vitest";
import { childTraceparent, newTraceparent, parseTraceparent } from "./trace";

describe("new trace ids", () => {
  it("start with the time in seconds, so ids sort by when their trace began; the rest is random", () => {
    const at = Date.UTC(2026, 11, 4, 20, 0, 0);
    const id = parseTraceparent(newTraceparent(at))?.traceId as string;
    expect(id.slice(0, 8)).toBe((at / 1000).toString(16));
    const later = parseTraceparent(newTraceparent(at + 1000))?.traceId as string;
    const earlier = Array.from({ length: 200 }, () => parseTraceparent(newTraceparent(at))?.traceId as string);
    // Every id of a second sorts before every id of the next: the trace index appends at its end.
    for (const e of earlier) expect(e < later).toBe(true);
    expect(new Set(earlier.map((e) => e.slice(8))).size).toBe(200);
  });

  it("are valid traceparents, and a child keeps its parent's trace id", () => {
    const parent = newTraceparent();
    expect(parseTraceparent(parent)).toMatchObject({ flags: "01" });
    expect(childTraceparent(parent).slice(0, 35)).toBe(parent.slice(0, 35));
    expect(childTraceparent(parent)).not.toBe(parent);
  });
});
