import { describe, expect, it } from "vitest";
import { type BatchItem, batchPrompt, distributeAnswer, extractBatchItems, flushAt, isFull, shouldRetry } from "./batching";

const items: BatchItem[] = ["alpha", { n: 2 }, "gamma"].map((input, i) => ({ id: `msg_${i}`, input, enqueued_at: 1000 + i, attempts: 0 }));

describe("batching policy", () => {
  it("is full at size and due timeout_ms after the oldest item", () => {
    const config = { size: 3, timeout_ms: 500 };
    expect(isFull(2, config)).toBe(false);
    expect(isFull(3, config)).toBe(true);
    expect(flushAt(1000, config)).toBe(1500);
  });
});

describe("batch prompt", () => {
  it("numbers the items from 1 in a JSON block the local model can read back", () => {
    const prompt = batchPrompt(items);
    expect(prompt).toContain('"results"');
    expect(extractBatchItems(prompt)).toEqual([
      { id: 1, input: "alpha" },
      { id: 2, input: { n: 2 } },
      { id: 3, input: "gamma" },
    ]);
    expect(extractBatchItems("just a question")).toBeNull();
  });
});

describe("distributing a model answer", () => {
  it("gives each item the entry with its own number, in any order, fenced or not", () => {
    const answer = '```json\n{"results":[{"id":3,"result":"C"},{"id":1,"result":"A"},{"id":"2","result":{"b":true}}]}\n```';
    const out = distributeAnswer(items, answer);
    expect(out.get("msg_0")).toEqual({ ok: true, content: "A" });
    expect(out.get("msg_1")).toEqual({ ok: true, content: { b: true } });
    expect(out.get("msg_2")).toEqual({ ok: true, content: "C" });
  });

  it("marks a skipped item for retry and never hands it a neighbour's answer", () => {
    const out = distributeAnswer(
      items,
      JSON.stringify({
        results: [
          { id: 1, result: "A" },
          { id: 2, result: "B" },
          { id: 9, result: "stray" },
        ],
      }),
    );
    expect(out.get("msg_0")).toEqual({ ok: true, content: "A" });
    expect(out.get("msg_2")).toMatchObject({ ok: false, retry: true, detail: "model gave no result for item 3" });
  });

  it("treats an item answered twice as malformed", () => {
    const out = distributeAnswer(
      items,
      JSON.stringify([
        { id: 1, result: "A" },
        { id: 1, result: "A2" },
        { id: 2, result: "B" },
        { id: 3, result: "C" },
      ]),
    );
    expect(out.get("msg_0")).toMatchObject({ ok: false, detail: "model gave 2 results for item 1" });
    expect(out.get("msg_1")).toEqual({ ok: true, content: "B" });
  });

  it("fails every item of an answer that is not batch JSON, retryably", () => {
    for (const text of ["Sure! 1) yes 2) no", '{"answers":[]}', "null"]) {
      const out = distributeAnswer(items, text);
      expect(
        [...out.values()].every((o) => !o.ok && o.retry),
        text,
      ).toBe(true);
      expect(out.size).toBe(3);
    }
  });

  it("retries an item once, then lets it fail", () => {
    const missing = { ok: false as const, detail: "x", retry: true };
    expect(shouldRetry(missing, 1)).toBe(true);
    expect(shouldRetry(missing, 2)).toBe(false);
    expect(shouldRetry({ ok: true, content: 1 }, 1)).toBe(false);
  });
});
