/**
 * The deadline as a policy: the call runs with an AbortSignal that fires at the deadline (an
 * absolute epoch ms, set once at the edge and only ever shortened), and fails with `timeout` then
 * even if the work ignores the signal.
 */
import { SwitchboardError } from "../message/errors";
import type { ExecuteOptions, Policy } from "./policy";

export function deadlinePolicy(deadline: number, who: string, now: () => number = Date.now): Policy {
  return {
    execute<T>(fn: (signal: AbortSignal) => Promise<T>, _options?: ExecuteOptions): Promise<T> {
      return withDeadline(deadline - now(), who, fn);
    },
  };
}

/** Runs `fn` with an AbortSignal that fires after `ms`; rejects with `timeout` then. */
export async function withDeadline<T>(ms: number, who: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (ms <= 0) throw new SwitchboardError("timeout", `deadline passed before ${who} ran`);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new SwitchboardError("timeout", `${who} did not answer within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
