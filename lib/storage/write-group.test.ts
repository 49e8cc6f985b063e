import { afterEach, describe, expect, it, vi } from "vitest";
import { WriteGroup } from "./write-group";

afterEach(() => vi.useRealTimers());

describe("write group", () => {
  it("resumes every request that joined before the window closed in one turn, in the order they joined", async () => {
    vi.useFakeTimers();
    const group = new WriteGroup(2);
    const resumed: number[] = [];
    const joined = [1, 2, 3].map((n) => group.join().then(() => resumed.push(n)));
    await vi.advanceTimersByTimeAsync(1);
    expect(resumed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(joined);
    expect(resumed).toEqual([1, 2, 3]);
  });

  it("starts a new group for a request that joins after the last one resumed", async () => {
    vi.useFakeTimers();
    const group = new WriteGroup(0);
    const first = group.join();
    await vi.advanceTimersByTimeAsync(0);
    await first;
    let resumed = false;
    const second = group.join().then(() => {
      resumed = true;
    });
    await Promise.resolve();
    expect(resumed).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    await second;
    expect(resumed).toBe(true);
  });
});
