import { describe, expect, it } from "vitest";
import { AnswerGate, type GateTimers } from "./answer-gate";

/** Timers the test fires by hand: what is set, and whether it was cleared. */
function manualTimers() {
  const set: Array<{ fire: () => void; ms: number; cleared: boolean }> = [];
  const timers: GateTimers = {
    set: (fire, ms) => {
      const timer = { fire, ms, cleared: false };
      set.push(timer);
      return timer;
    },
    clear: (timer) => {
      if (timer) (timer as { cleared: boolean }).cleared = true;
    },
  };
  return { timers, set };
}

/** Whether `promise` has settled once every queued microtask ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

const never = new Promise<never>(() => {});

describe("AnswerGate", () => {
  it("holds the answer until the handler's first request left (or its first event), and then no longer", async () => {
    const { timers, set } = manualTimers();
    const gate = new AnswerGate(10, timers);
    const passed = gate.passed(never);
    expect(await settled(passed)).toBe(false);
    gate.open();
    expect(await settled(passed)).toBe(true);
    expect(set).toEqual([expect.objectContaining({ ms: 10, cleared: true })]);
  });

  it("lets the answer go at the cap when the handler neither calls out nor writes", async () => {
    const { timers, set } = manualTimers();
    const gate = new AnswerGate(10, timers);
    const passed = gate.passed(never);
    expect(await settled(passed)).toBe(false);
    set[0]?.fire();
    expect(await settled(passed)).toBe(true);
    // Opening it afterwards changes nothing.
    gate.open();
  });

  it("lets the answer go when the call ends first, however it ends", async () => {
    for (const ending of [Promise.resolve({ ok: true }), Promise.reject(new Error("handler threw"))]) {
      const { timers, set } = manualTimers();
      const passed = new AnswerGate(10, timers).passed(ending);
      expect(await settled(passed)).toBe(true);
      expect(set[0]?.cleared).toBe(true);
    }
  });

  it("does not wait, nor set a timer, when the request left before the call was seen to start", async () => {
    const { timers, set } = manualTimers();
    const gate = new AnswerGate(10, timers);
    gate.open();
    expect(await settled(gate.passed(never))).toBe(true);
    expect(set).toEqual([]);
  });
});
