/**
 * The deadline as a policy: the call runs with an AbortSignal that fires at the deadline (an
 * absolute epoch ms, set once at the edge and only ever shortened) or when the caller's own signal
 * aborts (a cancellation), and the call fails then — `timeout`, or the caller's reason, `cancelled`
 * — even if the work ignores the signal. Work that still succeeds after that is reported to
 * `onLate`: its reply is dropped, and the pipeline logs that it was.
 */
import { type Failure, SwitchboardError, toFailure } from "../message/errors";
import { CallAbort } from "./call-abort";
import type { ExecuteOptions, Policy } from "./policy";

export interface DeadlineOptions {
  now?: () => number;
  /** The work succeeded after the call had already ended with `reason` (timeout or cancellation). */
  onLate?: (reason: Failure) => void;
}

export function deadlinePolicy(deadline: number, who: string, options: DeadlineOptions = {}): Policy {
  const now = options.now ?? Date.now;
  return {
    execute<T>(fn: (signal: AbortSignal) => Promise<T>, { signal, abort }: ExecuteOptions = {}): Promise<T> {
      return withDeadline(deadline - now(), who, fn, {
        ...(signal ? { signal } : {}),
        ...(abort ? { abort } : {}),
        ...(options.onLate ? { onLate: options.onLate } : {}),
      });
    },
  };
}

/** The error a cancelled call ends with: the signal's own `SwitchboardError`, or `cancelled`. */
export function cancellationOf(signal: AbortSignal, who: string): SwitchboardError {
  const reason: unknown = signal.reason;
  if (reason instanceof SwitchboardError) return reason;
  return new SwitchboardError("cancelled", `${who} was cancelled${reason instanceof Error && reason.message ? `: ${reason.message}` : ""}`);
}

/**
 * Runs `fn` with an AbortSignal that fires after `ms`, or when `options.signal` aborts; rejects
 * with `timeout` or the cancellation then. Given the call's own `abort` (whose signal is the cancel
 * signal), the deadline aborts that, with its `timeout`, and `fn` gets its signal.
 */
export async function withDeadline<T>(
  ms: number,
  who: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: { signal?: AbortSignal; abort?: CallAbort; onLate?: (reason: Failure) => void } = {},
): Promise<T> {
  const outer = options.abort?.signal ?? options.signal;
  if (outer?.aborted) throw cancellationOf(outer, who);
  if (ms <= 0) throw new SwitchboardError("timeout", `deadline passed before ${who} ran`);
  const call = options.abort ?? new CallAbort();
  let unlink: (() => void) | undefined;
  if (!options.abort && outer) {
    const onAbort = () => call.abort(cancellationOf(outer, who));
    outer.addEventListener("abort", onAbort, { once: true });
    unlink = () => outer.removeEventListener("abort", onAbort);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unwatch: (() => void) | undefined;
  // Rejected before the work's signal fires (CallAbort runs its watcher first), so the race ends
  // with this reason rather than with whatever the work throws when it sees its signal.
  const ended = new Promise<never>((_, reject) => {
    unwatch = call.onAbort(reject);
    timer = setTimeout(() => call.abort(new SwitchboardError("timeout", `${who} did not answer within ${ms} ms`)), ms);
  });
  const work = fn(call.signal);
  try {
    return await Promise.race([work, ended]);
  } finally {
    clearTimeout(timer);
    unwatch?.();
    unlink?.();
    const { onLate } = options;
    if (call.signal.aborted && onLate) {
      const reason = toFailure(call.signal.reason);
      work.then(
        () => onLate(reason),
        () => {},
      );
    }
  }
}
