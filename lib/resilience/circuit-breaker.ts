/**
 * Circuit breaker, after cockatiel's ConsecutiveBreaker/SamplingBreaker: pure logic, an injected
 * clock, and state that serialises so the agent's Durable Object only loads and saves it.
 *
 *   closed --(failure_threshold consecutive failures, or failure rate)--> open
 *   open --(recovery_timeout_ms elapsed)--> half_open: exactly one probe is admitted at a time
 *   half_open --probe succeeds--> closed;  --probe fails--> open
 *
 * Each change of state is kept with its time (the newest 20) for the dashboard's timeline.
 *
 * A probe that never reports back (its caller was evicted) stops blocking after
 * recovery_timeout_ms, so a lost probe cannot wedge the breaker half-open forever.
 */
import type { BreakerConfig } from "../registry/entry";

export type BreakerStateName = "closed" | "open" | "half_open";

export interface BreakerState {
  state: BreakerStateName;
  failures: number;
  opened_at: number | null;
  /** When half-open, the start of the probe in flight, if any. */
  probe_started_at: number | null;
  /** Rate mode only: recent outcomes as [time, failed]. */
  samples: Array<[number, 0 | 1]>;
  /** The newest state changes as [time, new state], oldest first (absent in state saved before they were kept). */
  transitions?: Array<[number, BreakerStateName]>;
}

export interface BreakerSnapshot {
  state: BreakerStateName;
  failures: number;
  opened_at: string | null;
  next_probe_at: string | null;
  /** The newest `MAX_TRANSITIONS` state changes, oldest first: what a breaker timeline draws. */
  transitions: Array<{ at: string; state: BreakerStateName }>;
}

export type Admission = { ok: true; probe: boolean } | { ok: false; retryAfterMs: number };

const MAX_SAMPLES = 1000;
/** State changes kept for the timeline. @default 20 */
export const MAX_TRANSITIONS = 20;

export function initialBreakerState(): BreakerState {
  return { state: "closed", failures: 0, opened_at: null, probe_started_at: null, samples: [] };
}

export class CircuitBreaker {
  private s: BreakerState;
  private changes = 0;

  constructor(
    private config: BreakerConfig,
    state: BreakerState = initialBreakerState(),
    private readonly clock: () => number = Date.now,
  ) {
    this.s = structuredClone(state);
  }

  /** Replaces the configuration (the registry entry changed) keeping the state. */
  configure(config: BreakerConfig): void {
    this.config = config;
  }

  /** May a call go through now? Moves open → half_open when the recovery time has passed. */
  admit(): Admission {
    const now = this.clock();
    if (this.s.state === "open") {
      const nextProbe = (this.s.opened_at ?? now) + this.config.recovery_timeout_ms;
      if (now < nextProbe) return { ok: false, retryAfterMs: nextProbe - now };
      this.s.state = "half_open";
      this.s.probe_started_at = null;
      this.record(now, "half_open");
    }
    if (this.s.state === "half_open") {
      const probeStart = this.s.probe_started_at;
      if (probeStart !== null && now - probeStart < this.config.recovery_timeout_ms) {
        return { ok: false, retryAfterMs: Math.max(1, probeStart + this.config.recovery_timeout_ms - now) };
      }
      this.s.probe_started_at = now;
      this.changes++;
      return { ok: true, probe: true };
    }
    return { ok: true, probe: false };
  }

  onSuccess(probe: boolean): void {
    if (probe || this.s.state === "half_open") {
      this.close();
      return;
    }
    if (this.s.state !== "closed") return;
    if (this.s.failures !== 0) {
      this.s.failures = 0;
      this.changes++;
    }
    this.sample(0);
  }

  onFailure(probe: boolean): void {
    const now = this.clock();
    if (probe || this.s.state === "half_open") {
      this.open(now, this.s.failures + 1);
      return;
    }
    if (this.s.state !== "closed") return;
    this.s.failures += 1;
    this.changes++;
    this.sample(1);
    if (this.s.failures >= this.config.failure_threshold || this.rateExceeded(now)) this.open(now, this.s.failures);
  }

  /** A call that was admitted but ended without an outcome that counts (e.g. a permanent 4xx). */
  onNeutral(probe: boolean): void {
    if (probe && this.s.state === "half_open" && this.s.probe_started_at !== null) {
      this.s.probe_started_at = null;
      this.changes++;
    }
  }

  reset(): void {
    this.close();
  }

  snapshot(): BreakerSnapshot {
    const nextProbe = this.s.state === "open" && this.s.opened_at !== null ? this.s.opened_at + this.config.recovery_timeout_ms : null;
    return {
      state: this.s.state,
      failures: this.s.failures,
      opened_at: this.s.opened_at === null ? null : new Date(this.s.opened_at).toISOString(),
      next_probe_at: nextProbe === null ? null : new Date(nextProbe).toISOString(),
      transitions: (this.s.transitions ?? []).map(([at, state]) => ({ at: new Date(at).toISOString(), state })),
    };
  }

  toJSON(): BreakerState {
    return structuredClone(this.s);
  }

  /** Counts the changes of the state: what callers compare to see whether it changed since they saved it. */
  get revision(): number {
    return this.changes;
  }

  private open(now: number, failures: number): void {
    const transitions = this.s.transitions;
    this.s = { state: "open", failures, opened_at: now, probe_started_at: null, samples: [], ...(transitions ? { transitions } : {}) };
    this.record(now, "open");
  }

  private close(): void {
    const { state, failures, opened_at, probe_started_at, samples, transitions } = this.s;
    if (state === "closed" && failures === 0 && opened_at === null && probe_started_at === null && samples.length === 0) return;
    this.s = { ...initialBreakerState(), ...(transitions ? { transitions } : {}) };
    this.changes++;
    if (state !== "closed") this.record(this.clock(), "closed");
  }

  private record(now: number, state: BreakerStateName): void {
    this.changes++;
    const transitions = this.s.transitions ?? [];
    this.s.transitions = transitions;
    transitions.push([now, state]);
    if (transitions.length > MAX_TRANSITIONS) transitions.splice(0, transitions.length - MAX_TRANSITIONS);
  }

  private sample(failed: 0 | 1): void {
    const rate = this.config.failure_rate;
    if (!rate) return;
    const now = this.clock();
    this.s.samples.push([now, failed]);
    this.changes++;
    const since = now - rate.window_ms;
    while (this.s.samples.length > 0 && ((this.s.samples[0]?.[0] ?? now) < since || this.s.samples.length > MAX_SAMPLES)) {
      this.s.samples.shift();
    }
  }

  private rateExceeded(now: number): boolean {
    const rate = this.config.failure_rate;
    if (!rate) return false;
    const recent = this.s.samples.filter(([t]) => t >= now - rate.window_ms);
    if (recent.length < rate.min_calls) return false;
    const failed = recent.reduce((n, [, f]) => n + f, 0);
    return failed / recent.length >= rate.rate;
  }
}
