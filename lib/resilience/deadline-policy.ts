/**
 * The deadline as a policy: the call runs with an AbortSignal that fires at the deadline (an
 * absolute epoch ms, set once at the edge and only ever shortened) or when the caller's own signal
 * aborts (a cancellation), and the call fails then — `timeout`, or the caller's reason, `cancelled`
 * — even if the work ignores the signal. Work that still succeeds after that is reported to
 * `onLate`: its reply is dropped, and the pipeline logs that it was.
 */
import { type Failure, SwitchboardError, toFailure } from "../message/errors";
import type { ExecuteOptions, Policy } from "./policy";

export interface DeadlineOptions {
  now?: () => number;
  /** The work succeeded after the call had already ended with `reason` (timeout or cancellation). */
  onLate?: (reason: Failure) => void;
}

export function deadlinePolicy(deadline: number, who: string, options: DeadlineOptions = {}): Policy {
  const now = options.now ?? Date.now;
  return {
    execute<T>(fn: (signal: AbortSignal) => Promise<T>, { signal }: ExecuteOptions = {}): Promise<T> {
      return withDeadline(deadline - now(), who, fn, { ...(signal ? { signal } : {}), ...(options.onLate ? { onLate: options.onLate } : {}) });
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
 * with `timeout` or the cancellation then.
 */
export async function withDeadline<T>(
  ms: number,
  who: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: { signal?: AbortSignal; onLate?: (reason: Failure) => void } = {},
): Promise<T> {
  const outer = options.signal;
  if (outer?.aborted) throw cancellationOf(outer, who);
  if (ms <= 0) throw new SwitchboardError("timeout", `deadline passed before ${who} ran`);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    // Rejected before the work's signal fires, so the race ends with this reason rather than
    // with whatever the work throws when it sees its signal.
    const end = (error: SwitchboardError) => {
      reject(error);
      controller.abort(error);
    };
    timer = setTimeout(() => end(new SwitchboardError("timeout", `${who} did not answer within ${ms} ms`)), ms);
    if (outer) {
      onAbort = () => end(cancellationOf(outer, who));
      outer.addEventListener("abort", onAbort, { once: true });
    }
  });
  const work = fn(controller.signal);
  try {
    return await Promise.race([work, ended]);
  } finally {
    clearTimeout(timer);
    if (onAbort) outer?.removeEventListener("abort", onAbort);
    const { onLate } = options;
    if (controller.signal.aborted && onLate) {
      const reason = toFailure(controller.signal.reason);
      work.then(
        () => onLate(reason),
        () => {},
      );
    }
  }
}
