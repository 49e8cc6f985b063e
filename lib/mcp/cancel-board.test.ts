import { describe, expect, it } from "vitest";
import { CancelBoard } from "./cancel-board";

describe("CancelBoard", () => {
  it("resolves a watch with the reason when its id is cancelled, and null when released", async () => {
    const board = new CancelBoard();
    const cancelled = board.watch("1");
    const released = board.watch('"a"');
    expect(board.cancel("1", "stop")).toBe(true);
    board.release('"a"');
    expect(await cancelled).toBe("stop");
    expect(await released).toBeNull();
    expect(board.size).toBe(0);
  });

  it("keeps a cancel that overtook its call for earlyTtlMs, by an injected clock", async () => {
    let now = 1_000;
    const board = new CancelBoard({ earlyTtlMs: 100, now: () => now });
    expect(board.cancel("7", "early")).toBe(false);
    expect(await board.watch("7")).toBe("early");
    board.cancel("8", "too early");
    now += 101;
    const late = board.watch("8");
    board.release("8");
    expect(await late).toBeNull();
  });

  it("remembers at most maxEarly cancels", async () => {
    const board = new CancelBoard({ maxEarly: 2 });
    for (const id of ["1", "2", "3"]) board.cancel(id, `c${id}`);
    const first = board.watch("1");
    board.release("1");
    expect(await first).toBeNull();
    expect(await board.watch("3")).toBe("c3");
  });
});
