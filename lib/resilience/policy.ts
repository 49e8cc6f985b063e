/**
 * Resilience policies in cockatiel's shape: each guards one concern of a call (breaker, concurrency
 * cap, deadline) with `policy.execute(fn, { signal })`, and `wrap` nests them outermost first, so
 * the pipeline states its order in one line instead of spelling out a sequence. A policy that
 * refuses to run a call throws a `PolicyRejection`, which carries the whole `Failure` (an open
 * breaker's next probe, say) and is never counted against the agent.
 */
import { type Failure, SwitchboardError } from "../message/errors";
import type { CallAbort } from "./call-abort";

export interface ExecuteOptions {
  /** Aborted when the caller cancels the call, or an outer policy gives up on it (its deadline passed). */
  signal?: AbortSignal;
  /**
   * The call's own abort, when the caller has one (`signal` is then its signal): a policy that ends
   * the call aborts it with its reason instead of linking a controller of its own to `signal`.
   */
  abort?: CallAbort;
}

export interface Policy {
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, options?: ExecuteOptions): Promise<T>;
}

/** The policies nested, the first outermost: `wrap(a, b).execute(fn)` is `a.execute(() => b.execute(fn))`. */
export function wrap(...policies: Policy[]): Policy {
  return {
    execute<T>(fn: (signal: AbortSignal) => Promise<T>, options: ExecuteOptions = {}): Promise<T> {
      const abort = options.abort;
      const run = (index: number, signal: AbortSignal | undefined): Promise<T> => {
        const policy = policies[index];
        if (!policy) return fn(signal ?? new AbortController().signal);
        // The call's abort goes on only with its own signal: a policy that made a signal of its own keeps it.
        const next = abort && signal === abort.signal ? { signal, abort } : signal ? { signal } : {};
        return policy.execute((inner) => run(index + 1, inner), next);
      };
      return run(0, abort?.signal ?? options.signal);
    },
  };
}

/** A policy refused the call before it ran (open breaker, full pool): the caller's answer, not the agent's fault. */
export class PolicyRejection extends SwitchboardError {
  constructor(readonly failure: Failure) {
    super(failure.code, failure.detail, {
      transient: failure.transient ?? false,
      ...(failure.retry_after !== undefined ? { retryAfter: failure.retry_after } : {}),
    });
    this.name = "PolicyRejection";
  }

  override toFailure(): Failure {
    return this.failure;
  }
}
