import { describe, expect, it } from "vitest";
import { TRACE_INDEX_SHARDS, TraceAnnouncer, traceIndexShardOf, traceObjects } from "./trace-index";

describe("TraceAnnouncer", () => {
  it("batches announcements and sends nothing on the hot path", () => {
    const sent: Array<Array<[string, string]>> = [];
    const announcer = new TraceAnnouncer((entries) => sent.push(entries), 60_000, 1000);
    const a = "a".repeat(32);
    const b = "b".repeat(32);
    announcer.add(a, "t1");
    announcer.add(b, "t2");
    expect(sent).toEqual([]);
    announcer.flush();
    expect(sent).toEqual([
      [
        [a, "t1"],
        [b, "t2"],
      ],
    ]);
    announcer.flush();
    expect(sent).toHaveLength(1);
  });

  it("flushes at once when its batch is full", () => {
    const sent: number[] = [];
    const announcer = new TraceAnnouncer((entries) => sent.push(entries.length), 60_000, 3);
    for (let i = 0; i < 7; i++) announcer.add(String(i).repeat(32), "t");
    expect(sent).toEqual([3, 3]);
    announcer.flush();
    expect(sent).toEqual([3, 3, 1]);
  });
});

describe("trace index shards", () => {
  it("spread agent objects over every index object, each always to the same one", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(traceIndexShardOf(`agent-${i}`));
    expect(seen.size).toBe(TRACE_INDEX_SHARDS);
    expect(traceIndexShardOf("planner#2")).toBe(traceIndexShardOf("planner#2"));
  });

  it("list each object of a trace once, in the order first seen, from every index object's answer", () => {
    const objects = traceObjects([
      [{ agent: "summarizer", first_at: "2026-01-01T00:00:00.002Z" }],
      [],
      [
        { agent: "planner", first_at: "2026-01-01T00:00:00.001Z" },
        { agent: "summarizer", first_at: "2026-01-01T00:00:00.003Z" },
        { agent: "echo", first_at: "2026-01-01T00:00:00.002Z" },
      ],
    ]);
    expect(objects).toEqual(["planner", "echo", "summarizer"]);
  });
});
