import { afterEach, describe, expect, it, vi } from "vitest";
import { failure, SwitchboardError, toFailure } from "../message/errors";
import { breakerPolicy } from "./breaker-policy";
import type { Breaker } from "./breaker-replica";
import { bulkheadPolicy } from "./bulkhead-policy";
import { CallAbort } from "./call-abort";
import { deadlinePolicy } from "./deadline-policy";
import { PolicyRejection, wrap } from "./policy";
import { Pool } from "./pool";

/** A breaker that records what the policy told it. */
function recordingBreaker(admission: Awaited<ReturnType<Breaker["admit"]>> = { ok: true, probe: false }) {
  const events: string[] = [];
  const breaker: Breaker = {
    admit: () => admission,
    onSuccess: () => void events.push("success"),
    onFailure: () => void events.push("failure"),
    onNeutral: () => void events.push("neutral"),
  };
  return { breaker, events };
}

const now = () => Date.now();

describe("call policies", () => {
  it("nest outermost first and hand the innermost function the deadline's signal", async () => {
    const order: string[] = [];
    const tracing = (name: string) => ({
      async execute<T>(fn: (signal: AbortSignal) => Promise<T>) {
        order.push(`${name} in`);
        const value = await fn(new AbortController().signal);
        order.push(`${name} out`);
        return value;
      },
    });
    let seen: AbortSignal | undefined;
    const value = await wrap(tracing("a"), tracing("b"), deadlinePolicy(Date.now() + 1000, "x")).execute(async (signal) => {
      seen = signal;
      return 42;
    });
    expect(value).toBe(42);
    expect(order).toEqual(["a in", "b in", "b out", "a out"]);
    expect(seen?.aborted).toBe(false);
  });

  it("count only the agent's transient failures against the breaker, never a full pool or a permanent error", async () => {
    const transient = recordingBreaker();
    await expect(breakerPolicy(transient.breaker, { agent: "a", changed: () => {} }).execute(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(transient.events).toEqual(["failure"]);

    const permanent = recordingBreaker();
    const refused = new SwitchboardError("agent_error", "bad input", { transient: false });
    await expect(breakerPolicy(permanent.breaker, { agent: "a", changed: () => {} }).execute(() => Promise.reject(refused))).rejects.toBe(refused);
    expect(permanent.events).toEqual(["neutral"]);

    const full = recordingBreaker();
    const pool = new Pool(1);
    const held = await pool.acquire(0);
    const policy = wrap(
      breakerPolicy(full.breaker, { agent: "a", changed: () => {} }),
      bulkheadPolicy(pool, { agent: "a", maxConcurrency: 1, deadline: Date.now(), now }),
    );
    const rejected = await policy.execute(async () => "never").catch((error: unknown) => toFailure(error));
    expect(rejected).toMatchObject({ ok: false, code: "pool_saturated", retry_after: 1 });
    expect(full.events).toEqual(["neutral"]);
    held?.();
  });

  it("reject while the breaker is open with the time to the next probe, without running the call", async () => {
    const open = recordingBreaker({ ok: false, retryAfterMs: 2500 });
    let ran = false;
    const error = await breakerPolicy(open.breaker, { agent: "a", changed: () => {} })
      .execute(async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(PolicyRejection);
    expect(toFailure(error)).toEqual(
      failure("circuit_open", "circuit for a is open; next probe in 3 s", { retry_after: 3, retry_after_ms: 2500, open_breaker: "a" }),
    );
  });

  it("time a call out at its deadline even when the work ignores the signal", async () => {
    const error = await deadlinePolicy(Date.now() + 20, "slow")
      .execute(() => new Promise(() => {}))
      .catch((e: unknown) => toFailure(e));
    expect(error).toMatchObject({ code: "timeout", transient: true });
  });

  it("end a cancelled call with the caller's reason at once, and report work that answers after that", async () => {
    const caller = new AbortController();
    const late: string[] = [];
    let finish: (value: string) => void = () => {};
    let seen: AbortSignal | undefined;
    const running = deadlinePolicy(Date.now() + 10_000, "slow", { onLate: (reason) => late.push(reason.code) })
      .execute(
        (signal) => {
          seen = signal;
          return new Promise<string>((resolve) => {
            finish = resolve;
          });
        },
        { signal: caller.signal },
      )
      .catch((e: unknown) => toFailure(e));
    caller.abort(new SwitchboardError("cancelled", "stop, please"));
    expect(await running).toMatchObject({ code: "cancelled", detail: "stop, please", transient: false });
    expect(seen?.aborted).toBe(true);
    expect(late).toEqual([]);
    finish("too late");
    await Promise.resolve();
    await Promise.resolve();
    expect(late).toEqual(["cancelled"]);
  });

  it("never count a cancellation against the breaker, and give up a slot's wait when the caller cancels", async () => {
    const { breaker, events } = recordingBreaker();
    const pool = new Pool(1);
    const held = await pool.acquire(0);
    const caller = new AbortController();
    const policy = wrap(
      breakerPolicy(breaker, { agent: "a", changed: () => {} }),
      bulkheadPolicy(pool, { agent: "a", maxConcurrency: 1, deadline: Date.now() + 10_000, now }),
      deadlinePolicy(Date.now() + 10_000, "a"),
    );
    const waiting = policy.execute(async () => "ran", { signal: caller.signal }).catch((e: unknown) => toFailure(e));
    // The breaker admits asynchronously; the call then queues for the slot.
    for (let turn = 0; turn < 10 && pool.waiting === 0; turn++) await Promise.resolve();
    expect(pool.waiting).toBe(1);
    caller.abort();
    expect(await waiting).toMatchObject({ code: "cancelled" });
    expect(pool.waiting).toBe(0);
    expect(events).toEqual(["neutral"]);
    held?.();
    expect(pool.inFlight).toBe(0);
  });

  describe("with the call's own abort", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("hand the work the call's own signal, and at the deadline abort it with a timeout, not a cancel", async () => {
      vi.useFakeTimers();
      const abort = new CallAbort();
      const late: string[] = [];
      let finish: (value: string) => void = () => {};
      let seen: AbortSignal | undefined;
      const policy = wrap(
        breakerPolicy(recordingBreaker().breaker, { agent: "a", changed: () => {} }),
        bulkheadPolicy(new Pool(1), { agent: "a", maxConcurrency: 1, deadline: Date.now() + 50, now }),
        deadlinePolicy(Date.now() + 50, "slow", { onLate: (reason) => late.push(reason.code) }),
      );
      const running = policy
        .execute(
          (signal) => {
            seen = signal;
            return new Promise<string>((resolve) => {
              finish = resolve;
            });
          },
          { abort },
        )
        .catch((e: unknown) => toFailure(e));
      await vi.advanceTimersByTimeAsync(50);
      expect(await running).toMatchObject({ code: "timeout", detail: "slow did not answer within 50 ms", transient: true });
      expect(seen).toBe(abort.signal);
      expect(toFailure(abort.signal.reason)).toMatchObject({ code: "timeout" });
      // A cancel that comes after the timeout changes nothing.
      abort.abort(new SwitchboardError("cancelled", "too late"));
      expect(toFailure(abort.signal.reason)).toMatchObject({ code: "timeout" });
      finish("late");
      await vi.advanceTimersByTimeAsync(0);
      expect(late).toEqual(["timeout"]);
    });

    it("end the call at once when it is cancelled, with the cancel's reason, and clear the deadline", async () => {
      vi.useFakeTimers();
      const abort = new CallAbort();
      const running = deadlinePolicy(Date.now() + 10_000, "slow")
        .execute(() => new Promise(() => {}), { abort })
        .catch((e: unknown) => toFailure(e));
      abort.abort(new SwitchboardError("cancelled", "stop, please"));
      expect(await running).toMatchObject({ code: "cancelled", detail: "stop, please", transient: false });
      expect(vi.getTimerCount()).toBe(0);
    });

    it("refuse to start a call already cancelled, and leave the abort untouched by a call that answered", async () => {
      const cancelled = new CallAbort();
      cancelled.abort(new SwitchboardError("cancelled", "before it ran"));
      const refused = await deadlinePolicy(Date.now() + 1000, "x")
        .execute(async () => "ran", { abort: cancelled })
        .catch((e: unknown) => toFailure(e));
      expect(refused).toMatchObject({ code: "cancelled", detail: "before it ran" });

      const answered = new CallAbort();
      expect(await deadlinePolicy(Date.now() + 1000, "x").execute(async () => "ran", { abort: answered })).toBe("ran");
      answered.abort(new SwitchboardError("cancelled", "after"));
      expect(toFailure(answered.signal.reason)).toMatchObject({ code: "cancelled", detail: "after" });
    });
  });
});
