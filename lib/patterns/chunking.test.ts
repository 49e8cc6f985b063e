import { describe, expect, it } from "vitest";
import { chunkCount, MAX_CHUNKS, planChunks } from "./chunking";

const mappersOf = (m: number) => Array.from({ length: m }, (_, i) => `m${i}`);
const dataOf = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

/** The properties every plan must have, checked exhaustively over a grid of sizes. */
function checkPlan(n: number, m: number, chunkSize?: number): void {
  const data = dataOf(n);
  const mappers = mappersOf(m);
  const chunks = planChunks(data, mappers, chunkSize);
  const label = `n=${n} m=${m} chunk_size=${chunkSize}`;
  // Every item exactly once, in order (same object identities, so duplicates would show).
  expect(
    chunks.flatMap((c) => c.items),
    label,
  ).toEqual(data);
  expect(new Set(chunks.flatMap((c) => c.items)).size, label).toBe(n);
  // No empty chunk; indexes 0..k-1; sizes differ by at most one.
  for (const [i, c] of chunks.entries()) {
    expect(c.items.length, label).toBeGreaterThan(0);
    expect(c.index, label).toBe(i);
    expect(c.mapper, label).toBe(mappers[i % m]);
  }
  const sizes = chunks.map((c) => c.items.length);
  if (n > 0) expect(Math.max(...sizes) - Math.min(...sizes), label).toBeLessThanOrEqual(1);
  expect(chunks.length, label).toBe(chunkCount(n, m, chunkSize));
  if (chunkSize === undefined) {
    expect(chunks.length, label).toBe(Math.min(n, m));
  } else {
    expect(Math.max(0, ...sizes), label).toBeLessThanOrEqual(chunkSize);
    expect(chunks.length, label).toBe(Math.ceil(n / chunkSize));
  }
}

describe("planChunks", () => {
  it("never drops, duplicates or empties, and balances, without chunk_size", () => {
    for (let n = 0; n <= 80; n++) for (let m = 1; m <= 12; m++) checkPlan(n, m);
  });

  it("never drops, duplicates or empties, and balances, with chunk_size (round-robin over mappers)", () => {
    for (let n = 0; n <= 60; n++) for (let m = 1; m <= 5; m++) for (let size = 1; size <= n + 2; size++) checkPlan(n, m, size);
  });

  it("fixes the seed's zero-size chunks: 2 items over 5 mappers are 2 chunks of 1", () => {
    const chunks = planChunks(["a", "b"], mappersOf(5));
    expect(chunks.map((c) => [c.mapper, c.items])).toEqual([
      ["m0", ["a"]],
      ["m1", ["b"]],
    ]);
  });

  it("spreads more chunks than mappers round-robin", () => {
    const chunks = planChunks(dataOf(7), ["a", "b"], 2);
    expect(chunks.map((c) => c.mapper)).toEqual(["a", "b", "a", "b"]);
    expect(chunks.map((c) => c.items.length)).toEqual([2, 2, 2, 1]);
  });

  it("rejects what cannot be planned", () => {
    expect(() => planChunks([1], [])).toThrow(RangeError);
    expect(() => planChunks([1], ["a"], 0)).toThrow(RangeError);
    expect(() => planChunks([1], ["a"], 1.5)).toThrow(RangeError);
    expect(MAX_CHUNKS).toBeGreaterThan(0);
  });
});
