import { describe, expect, it } from "vitest";
import { failure } from "../message/errors";
import { OpenBreakerCache } from "./open-breakers";
import type { InvokeResult } from "../message/call";

const open = (agent: string, retryAfterMs: number): InvokeResult =>
  failure("circuit_open", `circuit for ${agent} is open`, { retry_after: Math.ceil(retryAfterMs / 1000), retry_after_ms: retryAfterMs, open_breaker: agent });

describe("open breakers at the caller", () => {
  it("fail fast for at most a second after the object said open, then ask the object again", async () => {
    let now = 1_000_000;
    const cache = new OpenBreakerCache(() => now);
    let calls = 0;
    const call = async () => {
      calls++;
      return open("flaky", 30_000);
    };
    expect(await cache.execute("flaky", call)).toMatchObject({ code: "circuit_open" });
    now += 500;
    expect(await cache.execute("flaky", call)).toMatchObject({ code: "circuit_open", retry_after: 30, open_breaker: "flaky" });
    expect(calls).toBe(1);
    now += 501;
    await cache.execute("flaky", call);
    expect(calls).toBe(2);
  });

  it("never believe an open breaker past its next probe, nor learn from a downstream agent's breaker", async () => {
    let now = 0;
    const cache = new OpenBreakerCache(() => now);
    let calls = 0;
    await cache.execute("a", async () => open("a", 200));
    now += 201;
    await cache.execute("a", async () => {
      calls++;
      return { ok: true, reply: {} as never };
    });
    expect(calls).toBe(1);
    // `b` answered open for its downstream `c`: the caller keeps asking `b`.
    await cache.execute("b", async () => open("c", 30_000));
    await cache.execute("b", async () => {
      calls++;
      return open("c", 30_000);
    });
    expect(calls).toBe(2);
  });

  it("ask the object while its breaker is known open, and still learn from its answer", async () => {
    const now = 0;
    const cache = new OpenBreakerCache(() => now);
    await cache.execute("a", async () => open("a", 30_000));
    let calls = 0;
    const kept = await cache.ask("a", async () => {
      calls++;
      return { ok: true, reply: {} as never };
    });
    expect(kept.ok).toBe(true);
    expect(calls).toBe(1);
    // A success asked past the memo does not clear it: only the object's breaker says closed.
    expect(await cache.execute("a", async () => ({ ok: true, reply: {} as never }))).toMatchObject({ code: "circuit_open" });
    const fresh = new OpenBreakerCache(() => now);
    await fresh.ask("b", async () => open("b", 30_000));
    expect(await fresh.execute("b", async () => ({ ok: true, reply: {} as never }))).toMatchObject({ code: "circuit_open" });
  });
});
