import { describe, expect, it } from "vitest";
import { TRACE_INDEX_SHARDS, TraceAnnouncer, traceIndexShard } from "./trace-index";

describe("TraceAnnouncer", () => {
  it("batches announcements per index shard and sends nothing on the hot path", () => {
    const sent: Array<[number, Array<[string, string]>]> = [];
    const announcer = new TraceAnnouncer((shard, entries) => sent.push([shard, entries]), 60_000, 1000);
    const a = "00000001".padEnd(32, "a");
    const b = "00000002".padEnd(32, "b");
    const a2 = "00000021".padEnd(32, "c"); // 0x21 % 32 = 1: same shard as `a`
    announcer.add(a, "t1");
    announcer.add(b, "t2");
    announcer.add(a2, "t3");
    expect(sent).toEqual([]);
    announcer.flush();
    expect(sent).toEqual([
      [
        1,
        [
          [a, "t1"],
          [a2, "t3"],
        ],
      ],
      [2, [[b, "t2"]]],
    ]);
    announcer.flush();
    expect(sent).toHaveLength(2);
  });

  it("flushes a shard at once when its batch is full", () => {
    const sent: number[] = [];
    const announcer = new TraceAnnouncer((_shard, entries) => sent.push(entries.length), 60_000, 3);
    for (let i = 0; i < 7; i++) announcer.add("00000005".padEnd(32, String(i)), "t");
    expect(sent).toEqual([3, 3]);
    announcer.flush();
    expect(sent).toEqual([3, 3, 1]);
  });

  it("spreads trace ids over every shard", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(traceIndexShard(crypto.randomUUID().replaceAll("-", "")));
    expect(seen.size).toBe(TRACE_INDEX_SHARDS);
  });
});
