import { describe, expect, it } from "vitest";
import type { BreakerConfig } from "../registry/entry";
import { CircuitBreaker, initialBreakerState, MAX_TRANSITIONS } from "./circuit-breaker";

const config: BreakerConfig = { failure_threshold: 3, recovery_timeout_ms: 1000 };

/** A reference model of the state machine, written independently of the implementation. */
class Model {
  state: "closed" | "open" | "half_open" = "closed";
  failures = 0;
  openedAt = 0;
  probing = false;
  admit(now: number): boolean {
    if (this.state === "open" && now >= this.openedAt + config.recovery_timeout_ms) {
      this.state = "half_open";
      this.probing = false;
    }
    if (this.state === "open") return false;
    if (this.state === "half_open") {
      if (this.probing) return false;
      this.probing = true;
    }
    return true;
  }
  outcome(ok: boolean, now: number): void {
    if (this.state === "half_open") {
      if (ok) Object.assign(this, { state: "closed", failures: 0, probing: false });
      else Object.assign(this, { state: "open", openedAt: now, probing: false });
      return;
    }
    if (ok) this.failures = 0;
    else if (++this.failures >= config.failure_threshold) Object.assign(this, { state: "open", openedAt: now });
  }
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("CircuitBreaker", () => {
  it("follows the reference model over scripted random sequences of outcomes", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = prng(seed);
      let now = 0;
      const breaker = new CircuitBreaker(config, initialBreakerState(), () => now);
      const model = new Model();
      for (let step = 0; step < 300; step++) {
        now += Math.floor(random() * 400);
        const admitted = breaker.admit();
        const expected = model.admit(now);
        expect(admitted.ok, `seed ${seed} step ${step}`).toBe(expected);
        if (!admitted.ok) continue;
        const ok = random() < 0.5;
        if (ok) breaker.onSuccess(admitted.probe);
        else breaker.onFailure(admitted.probe);
        model.outcome(ok, now);
        expect(breaker.snapshot().state, `seed ${seed} step ${step}`).toBe(model.state);
      }
    }
  });

  it("opens after failure_threshold consecutive failures and says when the next probe is", () => {
    let now = 10_000;
    const breaker = new CircuitBreaker(config, undefined, () => now);
    for (let i = 0; i < 3; i++) breaker.onFailure(breaker.admit().ok && false);
    expect(breaker.snapshot()).toEqual({
      state: "open",
      failures: 3,
      opened_at: new Date(10_000).toISOString(),
      next_probe_at: new Date(11_000).toISOString(),
      transitions: [{ at: new Date(10_000).toISOString(), state: "open" }],
    });
    now += 400;
    expect(breaker.admit()).toEqual({ ok: false, retryAfterMs: 600 });
  });

  it("keeps its newest state changes with their times, across a save and a reset that changes nothing", () => {
    let now = 0;
    const breaker = new CircuitBreaker(config, undefined, () => now);
    breaker.reset();
    expect(breaker.snapshot().transitions).toEqual([]);
    for (let round = 0; round < 12; round++) {
      now += 10;
      for (let i = 0; i < 3; i++) breaker.onFailure(false);
      now += 1000;
      const probe = breaker.admit();
      breaker.onSuccess(probe.ok && probe.probe);
    }
    const restored = new CircuitBreaker(config, breaker.toJSON(), () => now);
    const transitions = restored.snapshot().transitions;
    expect(transitions).toHaveLength(MAX_TRANSITIONS);
    expect(transitions.slice(-3).map((t) => t.state)).toEqual(["open", "half_open", "closed"]);
    expect(transitions.at(-1)?.at).toBe(new Date(now).toISOString());
    expect(transitions.at(-3)?.at).toBe(new Date(now - 1000).toISOString());
    restored.reset();
    expect(restored.snapshot().transitions).toEqual(transitions);
  });

  it("admits exactly one probe at a time when half-open", () => {
    let now = 0;
    const breaker = new CircuitBreaker(config, { state: "open", failures: 3, opened_at: 0, probe_started_at: null, samples: [] }, () => now);
    now = 1000;
    const first = breaker.admit();
    expect(first).toEqual({ ok: true, probe: true });
    for (let i = 0; i < 10; i++) expect(breaker.admit().ok).toBe(false);
    breaker.onSuccess(true);
    expect(breaker.snapshot().state).toBe("closed");
  });

  it("re-opens when the probe fails", () => {
    let now = 0;
    const breaker = new CircuitBreaker(config, { state: "open", failures: 3, opened_at: 0, probe_started_at: null, samples: [] }, () => now);
    now = 1500;
    const probe = breaker.admit();
    breaker.onFailure(probe.ok && probe.probe);
    expect(breaker.snapshot()).toMatchObject({ state: "open", opened_at: new Date(1500).toISOString() });
  });

  it("frees a probe slot whose caller never reported back after recovery_timeout_ms", () => {
    let now = 0;
    const breaker = new CircuitBreaker(config, { state: "half_open", failures: 3, opened_at: 0, probe_started_at: 0, samples: [] }, () => now);
    now = 999;
    expect(breaker.admit().ok).toBe(false);
    now = 1000;
    expect(breaker.admit()).toEqual({ ok: true, probe: true });
  });

  it("does not count neutral outcomes, and a neutral probe frees the slot", () => {
    let now = 0;
    const breaker = new CircuitBreaker(config, { state: "open", failures: 3, opened_at: 0, probe_started_at: null, samples: [] }, () => now);
    now = 1000;
    breaker.onNeutral(breaker.admit().ok);
    expect(breaker.admit()).toEqual({ ok: true, probe: true });
  });

  it("survives serialisation: a restored breaker continues where it was", () => {
    const now = 0;
    const breaker = new CircuitBreaker(config, undefined, () => now);
    breaker.onFailure(false);
    breaker.onFailure(false);
    const restored = new CircuitBreaker(config, JSON.parse(JSON.stringify(breaker.toJSON())), () => now);
    restored.onFailure(false);
    expect(restored.snapshot().state).toBe("open");
  });

  it("counts a revision that moves exactly when the state does", () => {
    let now = 0;
    const breaker = new CircuitBreaker(config, undefined, () => now);
    const changes = (step: () => void) => {
      const [revision, state] = [breaker.revision, JSON.stringify(breaker.toJSON())];
      step();
      const changed = JSON.stringify(breaker.toJSON()) !== state;
      expect(breaker.revision !== revision).toBe(changed);
      return changed;
    };
    expect(changes(() => breaker.admit())).toBe(false);
    expect(changes(() => breaker.onSuccess(false))).toBe(false);
    expect(changes(() => breaker.onNeutral(false))).toBe(false);
    expect(changes(() => breaker.reset())).toBe(false);
    expect(changes(() => breaker.onFailure(false))).toBe(true);
    expect(changes(() => breaker.onSuccess(false))).toBe(true);
    for (let i = 0; i < config.failure_threshold; i++) changes(() => breaker.onFailure(false));
    expect(breaker.snapshot().state).toBe("open");
    expect(changes(() => breaker.onFailure(false))).toBe(false);
    expect(changes(() => breaker.admit())).toBe(false);
    now += config.recovery_timeout_ms;
    expect(changes(() => breaker.admit())).toBe(true); // half-open, and the probe starts
    expect(changes(() => breaker.admit())).toBe(false); // refused while the probe runs
    expect(changes(() => breaker.onNeutral(true))).toBe(true);
    expect(changes(() => breaker.onNeutral(true))).toBe(false);
    expect(changes(() => breaker.admit())).toBe(true);
    expect(changes(() => breaker.onSuccess(true))).toBe(true);
    expect(changes(() => breaker.reset())).toBe(false);

    const rate = new CircuitBreaker({ ...config, failure_rate: { rate: 0.5, min_calls: 10, window_ms: 30_000 } }, undefined, () => now);
    const revision = rate.revision;
    rate.onSuccess(false); // a sample to keep
    expect(rate.revision).not.toBe(revision);
  });

  it("opens on failure rate in sliding-window mode", () => {
    let now = 0;
    const rate: BreakerConfig = { failure_threshold: 1000, recovery_timeout_ms: 1000, failure_rate: { rate: 0.5, min_calls: 10, window_ms: 30_000 } };
    const breaker = new CircuitBreaker(rate, undefined, () => now);
    for (let i = 0; i < 9; i++) {
      now += 100;
      if (i % 2 === 0) breaker.onFailure(false);
      else breaker.onSuccess(false);
    }
    expect(breaker.snapshot().state).toBe("closed"); // 5 of 9: below min_calls
    now += 100;
    breaker.onFailure(false); // 6 of 10 ≥ 50%
    expect(breaker.snapshot().state).toBe("open");
  });

  it("forgets failures outside the window in rate mode", () => {
    let now = 0;
    const rate: BreakerConfig = { failure_threshold: 1000, recovery_timeout_ms: 1000, failure_rate: { rate: 0.5, min_calls: 4, window_ms: 1000 } };
    const breaker = new CircuitBreaker(rate, undefined, () => now);
    breaker.onFailure(false);
    breaker.onFailure(false);
    breaker.onFailure(false);
    now = 5000;
    breaker.onSuccess(false);
    breaker.onSuccess(false);
    breaker.onSuccess(false);
    breaker.onFailure(false);
    expect(breaker.snapshot().state).toBe("closed");
  });
});
