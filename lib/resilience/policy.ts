/**
 * Resilience policies in cockatiel's shape: each guards one concern of a call (breaker, concurrency
 * cap, deadline) with `policy.execute(fn, { signal })`, and `wrap` nests them outermost first, so
 * the pipeline states its order in one line instead of spelling out a sequence. A policy that
 * refuses to run a call throws a `PolicyRejection`, which carries the whole `Failure` (an open
 * breaker's next probe, say) and is never counted against the agent.
 */
import { type Failure, SwitchboardError } from "../message/errors";

export interface ExecuteOptions {
  /** Aborted when an outer policy gives up on the call (its deadline passed). */
  signal?: AbortSignal;
}

export interface Policy {
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, options?: ExecuteOptions): Promise<T>;
}

/** The policies nested, the first outermost: `wrap(a, b).execute(fn)` is `a.execute(() => b.execute(fn))`. */
export function wrap(...policies: Policy[]): Policy {
  return {
    execute<T>(fn: (signal: AbortSignal) => Promise<T>, options: ExecuteOptions = {}): Promise<T> {
      const run = (index: number, signal: AbortSignal | undefined): Promise<T> => {
        const policy = policies[index];
        if (!policy) return fn(signal ?? new AbortController().signal);
        return policy.execute((inner) => run(index + 1, inner), signal ? { signal } : {});
      };
      return run(0, options.signal);
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
