/**
 * Breakers known open, per isolate: while an agent's breaker is open, calls fail fast at the caller
 * without a round trip to its object. This is a memo of the breaker's own answer, not a second
 * breaker: only an object's `circuit_open` for its own agent fills it, and it is kept for at most
 * a second and never past the next probe, so a reset or a due probe is seen within a second.
 * These rejections do not reach the agent's log.
 */
import { type Failure, failure, type Result } from "../message/errors";

/** How long an open breaker is believed without asking again. @default 1000 */
const OPEN_BREAKER_CACHE_MS = 1000;
const MAX_CACHED = 10_000;

export class OpenBreakerCache {
  private readonly open = new Map<string, { until: number; nextProbeAt: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Runs `call` unless `agent`'s breaker is known open, and learns from its answer. */
  async execute<T extends Result<unknown>>(agent: string, call: () => Promise<T | Failure>): Promise<T | Failure> {
    return this.refusal(agent) ?? this.learn(agent, await call());
  }

  /**
   * Runs `call` even while `agent`'s breaker is known open, and learns from its answer: for a call
   * its object may answer without calling the agent (a keyed retry's kept reply).
   */
  async ask<T extends Result<unknown>>(agent: string, call: () => Promise<T | Failure>): Promise<T | Failure> {
    return this.learn(agent, await call());
  }

  private refusal(agent: string): Failure | null {
    const known = this.open.get(agent);
    if (known === undefined) return null;
    const now = this.clock();
    if (known.until <= now) {
      this.open.delete(agent);
      return null;
    }
    const wait = known.nextProbeAt - now;
    return failure("circuit_open", `circuit for ${agent} is open; next probe in ${Math.ceil(wait / 1000)} s`, {
      retry_after: Math.max(1, Math.ceil(wait / 1000)),
      open_breaker: agent,
    });
  }

  private learn<T extends Result<unknown>>(agent: string, result: T | Failure): T | Failure {
    if (!result.ok && result.code === "circuit_open" && result.open_breaker === agent && result.retry_after_ms !== undefined) {
      if (this.open.size > MAX_CACHED) this.open.clear();
      const now = this.clock();
      this.open.set(agent, { until: now + Math.min(result.retry_after_ms, OPEN_BREAKER_CACHE_MS), nextProbeAt: now + result.retry_after_ms });
    }
    return result;
  }
}

export const openBreakers = new OpenBreakerCache();
