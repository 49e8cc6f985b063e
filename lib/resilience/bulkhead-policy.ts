/**
 * The agent's concurrency cap as a policy (cockatiel's bulkhead): a call waits for a slot of the
 * pool until its deadline, then is rejected with `pool_saturated` (or, cancelled while it waits,
 * with the cancellation); the slot is released however the call ends.
 */
import { failure } from "../message/errors";
import { cancellationOf } from "./deadline-policy";
import { type ExecuteOptions, type Policy, PolicyRejection } from "./policy";
import type { Pool } from "./pool";

export interface BulkheadOptions {
  /** The agent, named in the rejection. */
  agent: string;
  /** The cap, named in the rejection. */
  maxConcurrency: number;
  /** Epoch ms until which a call may wait for a slot. */
  deadline: number;
  now(): number;
}

export function bulkheadPolicy(pool: Pool, options: BulkheadOptions): Policy {
  return {
    async execute<T>(fn: (signal: AbortSignal) => Promise<T>, { signal }: ExecuteOptions = {}): Promise<T> {
      const release = await pool.acquire(options.deadline - options.now(), signal);
      if (!release && signal?.aborted) throw cancellationOf(signal, options.agent);
      if (!release) {
        throw new PolicyRejection(
          failure("pool_saturated", `${options.agent} has ${options.maxConcurrency} calls in flight and no slot freed before the deadline`, { retry_after: 1 }),
        );
      }
      try {
        return await fn(signal ?? new AbortController().signal);
      } finally {
        release();
      }
    },
  };
}
