import { describe, expect, it } from "vitest";
import { Pool } from "./pool";

describe("Pool", () => {
  it("never has more than max in flight and grants waiters in FIFO order", async () => {
    const pool = new Pool(2);
    const a = await pool.acquire(1000);
    const b = await pool.acquire(1000);
    expect(pool.inFlight).toBe(2);
    const order: string[] = [];
    const track = (label: string) => (release: (() => void) | null) => {
      order.push(label);
      return release;
    };
    const c = pool.acquire(1000).then(track("c"));
    const d = pool.acquire(1000).then(track("d"));
    expect(pool.waiting).toBe(2);
    a?.();
    b?.();
    const [rc, rd] = await Promise.all([c, d]);
    expect(order).toEqual(["c", "d"]);
    expect(pool.inFlight).toBe(2);
    rc?.();
    rd?.();
    expect(pool.inFlight).toBe(0);
  });

  it("gives up on a waiter at its deadline and releases are idempotent", async () => {
    const pool = new Pool(1);
    const held = await pool.acquire(10);
    expect(await pool.acquire(5)).toBeNull();
    expect(pool.waiting).toBe(0);
    held?.();
    held?.();
    expect(pool.inFlight).toBe(0);
    expect(await pool.acquire(0)).not.toBeNull();
  });

  it("resizing up lets waiters in", async () => {
    const pool = new Pool(1);
    await pool.acquire(10);
    const waiting = pool.acquire(1000);
    pool.resize(2);
    expect(await waiting).not.toBeNull();
    expect(pool.inFlight).toBe(2);
  });
});
