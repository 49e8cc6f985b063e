import { afterEach, describe, expect, it, vi } from "vitest";
import { SharedTurn } from "./shared-turn";

afterEach(() => vi.useRealTimers());

describe("shared turn", () => {
  it("resumes every waiter together once the last started piece ends", async () => {
    const turn = new SharedTurn(1000);
    const resumed: string[] = [];
    for (let i = 0; i < 3; i++) turn.started();
    const first = turn.ended().then(() => resumed.push("first"));
    const second = turn.ended().then(() => resumed.push("second"));
    await Promise.resolve();
    expect(resumed).toEqual([]);
    await Promise.all([first, second, turn.ended().then(() => resumed.push("third"))]);
    expect(resumed).toEqual(["first", "second", "third"]);
  });

  it("holds a waiter no longer than the window while another still runs", async () => {
    vi.useFakeTimers();
    const turn = new SharedTurn(5);
    turn.started();
    turn.started();
    let resumed = false;
    const waiting = turn.ended().then(() => {
      resumed = true;
    });
    await vi.advanceTimersByTimeAsync(4);
    expect(resumed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(resumed).toBe(true);
    // The slow one ends alone, at once.
    await turn.ended();
  });
});
