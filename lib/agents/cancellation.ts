/**
 * How a caller cancels a call it made through the agent reference: it passes an AbortSignal, and
 * when the signal aborts the reference tells the object running the call, by an explicit `cancel`
 * RPC (never trusting the platform to pass a dropped connection on), and answers `cancelled` at
 * once instead of waiting. The callee's handler signal fires, and its own sub-calls are cancelled
 * the same way, so a cancel travels down the whole call tree, one RPC per hop.
 */
import { type Failure, failure, SwitchboardError } from "../message/errors";

export interface CallOptions {
  /** Aborting it cancels the call. */
  signal?: AbortSignal;
  /** Keeps the cancel RPC alive where the caller's own context may end first (a Worker whose client left). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** What a cancelled call says about why: the signal's own `cancelled` detail, or that the caller went away. */
export function cancelDetail(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof SwitchboardError && reason.code === "cancelled" ? reason.message : "the caller went away";
}

export function cancelledFailure(signal: AbortSignal): Failure {
  return failure("cancelled", cancelDetail(signal));
}

/**
 * `answer`, unless `options.signal` aborts first: then `cancel` tells the callee (kept alive with
 * `waitUntil`), the answer is dropped whenever it comes, and the result is `cancelled` right away.
 */
export async function untilCancelled<T>(answer: Promise<T>, options: CallOptions, cancel: (detail: string) => Promise<unknown>): Promise<T | Failure> {
  const { signal } = options;
  if (!signal) return answer;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<Failure>((resolve) => {
    onAbort = () => {
      const detail = cancelDetail(signal);
      const told = cancel(detail).catch(() => {});
      options.waitUntil?.(told);
      resolve(failure("cancelled", detail));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([answer, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    answer.catch(() => {});
  }
}
