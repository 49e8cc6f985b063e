import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ID_BLOCK, STREAM_LIMITS, StreamLog } from "./stream-log";

/** Runs `body` with a StreamLog over a fresh agent object's storage. */
function withLog(body: (log: StreamLog, state: DurableObjectState) => Promise<void>, limits = STREAM_LIMITS) {
  const stub = env.AGENT.get(env.AGENT.idFromName(`streams-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => body(new StreamLog(state.storage.sql, { sync: () => state.storage.sync() }, limits), state));
}

async function text(body: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(body).text();
}

const ids = (sse: string) => [...sse.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe("StreamLog", () => {
  it("replays what was kept after an id, then hands a reader the live tail, with no id twice", async () => {
    await withLog(async (log) => {
      log.open({ id: "s1", kind: "invoke", owner: null, message_id: "m1" });
      log.append("s1", { event: "start", data: { stream_id: "s1", message_id: "m1" } });
      log.append("s1", { event: "delta", data: { text: "a" } });
      const reader = log.read("s1", 1);
      expect(reader).not.toBeNull();
      log.append("s1", { event: "delta", data: { text: "b" } });
      log.append("s1", { event: "reply", data: { id: "r", content: "ab" } as never });
      const sse = await text(reader?.body as ReadableStream<Uint8Array>);
      expect(ids(sse)).toEqual([2, 3, 4]);
      expect(sse).toContain('event: delta\ndata: {"text":"a"}');
      // Ended: a late reader gets the kept events and the end at once.
      expect(ids(await text(log.read("s1", 3)?.body as ReadableStream<Uint8Array>))).toEqual([4]);
      expect(log.append("s1", { event: "delta", data: { text: "after the end" } })).toBeNull();
    });
  });

  it("keeps at most its bound of events, always the terminal one, and never reuses an id it sent", async () => {
    await withLog(
      async (log) => {
        log.open({ id: "s2", kind: "request", owner: "planner", message_id: "m2" });
        for (const text of ["a", "b", "c", "d"]) log.append("s2", { event: "delta", data: { text } });
        log.append("s2", { event: "error", data: { code: "timeout" } as never });
        expect(ids(await text(log.read("s2", 0)?.body as ReadableStream<Uint8Array>))).toEqual([1, 2, 5]);
        // Replayed after it ended (a dead letter delivered again): it starts over, its ids going on.
        log.open({ id: "s2", kind: "request", owner: "planner", message_id: "m2" });
        expect(log.append("s2", { event: "delta", data: { text: "again" } })?.id).toBe(6);
      },
      { ...STREAM_LIMITS, maxEvents: 2 },
    );
  });

  it("forgets a stream once its retention passed, and a stream that never started at once", async () => {
    await withLog(async (log) => {
      const now = Date.now();
      log.open({ id: "old", kind: "invoke", owner: null, message_id: "m" }, now);
      log.append("old", { event: "reply", data: {} as never }, now);
      log.open({ id: "refused", kind: "invoke", owner: null, message_id: "m" }, now);
      log.discard("refused");
      expect(log.info("refused")).toBeNull();
      expect(log.sweep(now)).toBe(now + STREAM_LIMITS.retentionMs);
      expect(log.info("old", now)).not.toBeNull();
      expect(log.sweep(now + STREAM_LIMITS.retentionMs)).toBeNull();
      expect(log.info("old", now)).toBeNull();
      expect(log.read("old", 0)).toBeNull();
    });
  });

  it("takes up, after a restart, the streams an earlier instance left open, its ids going on past every id it recorded", async () => {
    await withLog(async (log, state) => {
      log.open({ id: "open", kind: "invoke", owner: "planner", message_id: "m" });
      log.append("open", { event: "start", data: { stream_id: "open", message_id: "m" } });
      const again = new StreamLog(state.storage.sql, { sync: () => state.storage.sync() });
      expect(again.recover()).toMatchObject([{ id: "open", kind: "invoke", owner: "planner", state: "open" }]);
      expect(again.append("open", { event: "error", data: {} as never })?.id).toBe(ID_BLOCK + 1);
    });
  });

  it("writes a new streaming invoke's stream a turn later, and hands its reader nothing before that write is durable", async () => {
    await withLog(async (log, state) => {
      const stored = () => state.storage.sql.exec("SELECT COUNT(*) AS n FROM stream_events WHERE stream_id = 'fresh'").one().n;
      log.open({ id: "fresh", kind: "invoke", owner: "planner", message_id: "m" }, Date.now(), true);
      const reader = log.read("fresh", 0)?.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      log.append("fresh", { event: "start", data: { stream_id: "fresh", message_id: "m" } });
      log.append("fresh", { event: "delta", data: { text: "a" } });
      // Nothing written in this turn, so nothing holds the answer that carries the reader at the output gate.
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM streams WHERE id = 'fresh'").one().n).toBe(0);
      expect(stored()).toBe(0);
      // An object that went away now never had the stream, and no reader saw any of it.
      expect(new StreamLog(state.storage.sql, { sync: () => state.storage.sync() }).recover()).toEqual([]);
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("id: 1\nevent: start");
      // By the time a reader has an event, the stream and its first block of ids are written (and committed).
      expect(stored()).toBeGreaterThanOrEqual(1);
      expect(state.storage.sql.exec("SELECT next_seq FROM streams WHERE id = 'fresh'").one().next_seq).toBe(ID_BLOCK + 1);
      // Refused before it started: a stream that was never written leaves nothing behind.
      log.open({ id: "refused", kind: "invoke", owner: null, message_id: "m2" }, Date.now(), true);
      log.discard("refused");
      await scheduler.wait(1);
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM streams WHERE id = 'refused'").one().n).toBe(0);
    });
  });

  it("hands a reader each delta as it is appended, waits for durability only for the ending and for each new block of ids", async () => {
    const stub = env.AGENT.get(env.AGENT.idFromName(`streams-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      let syncs = 0;
      const counted = () => {
        syncs++;
        return state.storage.sync();
      };
      const log = new StreamLog(state.storage.sql, { sync: counted });
      log.open({ id: "s", kind: "invoke", owner: null, message_id: "m" });
      log.append("s", { event: "start", data: { stream_id: "s", message_id: "m" } });
      const reader = log.read("s", 0)?.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      const next = async () => new TextDecoder().decode((await reader.read()).value);
      expect(await next()).toContain("id: 1\nevent: start");
      log.append("s", { event: "delta", data: { text: "a" } });
      expect(await next()).toContain("id: 2\nevent: delta");
      expect(syncs).toBe(0);
      // Past the ids recorded at open, the next block is recorded and waited for, once.
      for (let i = 3; i <= ID_BLOCK + 2; i++) log.append("s", { event: "delta", data: { text: "x" } });
      let last = "";
      while (!last.includes(`id: ${ID_BLOCK + 2}\n`)) last = await next();
      expect(syncs).toBe(1);
      // A restart now goes on after every id a reader may have seen.
      const again = new StreamLog(state.storage.sql, { sync: () => state.storage.sync() });
      again.recover();
      expect(again.append("s", { event: "step", data: { type: "probe" } })?.id).toBeGreaterThan(ID_BLOCK + 2);
      // The ending is sent only once it is durable.
      log.append("s", { event: "reply", data: { id: "r", content: "done" } as never });
      expect(await next()).toContain("event: reply");
      expect(syncs).toBe(2);
    });
  });
});
