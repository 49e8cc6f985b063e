/**
 * The circuit breaker as a policy: admit the call (an open breaker rejects it with the time to the
 * next probe), run it, and tell the breaker how it went. Only the agent's own transient failures
 * count (timeouts, 5xx, a thrown handler); permanent failures and rejections by inner policies (a
 * full pool) are neutral. `changed` runs after each step that may have moved the breaker, so the
 * object persists it.
 */
import { failure, toFailure } from "../message/errors";
import type { Breaker } from "./breaker-replica";
import { type ExecuteOptions, type Policy, PolicyRejection } from "./policy";

export interface BreakerPolicyOptions {
  /** The agent the breaker guards, named in the rejection. */
  agent: string;
  /** The breaker's state may have changed and must be persisted. */
  changed(): void;
}

export function breakerPolicy(breaker: Breaker, options: BreakerPolicyOptions): Policy {
  return {
    async execute<T>(fn: (signal: AbortSignal) => Promise<T>, { signal }: ExecuteOptions = {}): Promise<T> {
      const admission = await breaker.admit();
      options.changed();
      if (!admission.ok) {
        const seconds = Math.ceil(admission.retryAfterMs / 1000);
        throw new PolicyRejection(
          failure("circuit_open", `circuit for ${options.agent} is open; next probe in ${seconds} s`, {
            retry_after: Math.max(1, seconds),
            retry_after_ms: admission.retryAfterMs,
            open_breaker: options.agent,
          }),
        );
      }
      try {
        const value = await fn(signal ?? new AbortController().signal);
        breaker.onSuccess(admission.probe);
        return value;
      } catch (error) {
        if (!(error instanceof PolicyRejection) && toFailure(error).transient) breaker.onFailure(admission.probe);
        else breaker.onNeutral(admission.probe);
        throw error;
      } finally {
        options.changed();
      }
    },
  };
}
