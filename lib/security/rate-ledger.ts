/**
 * Rate-limit counting in batches. The Workers rate limiting binding is a call per `limit()`;
 * paying it on every request costs the hot path more than anything else at the edge (and under
 * `wrangler dev` it is a Durable Object write per call). A ledger counts each key's requests in
 * this isolate and settles them with the binding as one `limit({ key, delta })`:
 *
 * - the first request of a key in this isolate, and the first after `maxDelayMs`, is checked
 *   before it is admitted;
 * - in between, requests are admitted and counted, and the count is settled (checked) as soon as
 *   `batch` requests are waiting, by the request that makes it `batch`;
 * - once the binding says a key is over its limit, the key is refused here without another call
 *   for `blockMs`, then checked again.
 *
 * The binding admits a call while its counter is below the limit, even when the delta takes it
 * past, so an isolate admits fewer than `2 × batch` requests of a key past the limit, and no more
 * than `maxDelayMs` of its traffic goes unchecked; a flood of refused requests costs one binding
 * call per `blockMs`. The binding itself counts per Cloudflare location and eventually
 * consistently; this adds a bounded, documented slack to that, small next to limits of hundreds
 * per period. `batch: 1` checks every request, as calling the binding directly would.
 *
 * `delta` is a recent addition to the binding. Where the runtime rejects it (the workerd of
 * today's vitest pool does), the ledger finds out on its first check and from then on checks every
 * request, so counting is never silently switched off.
 */

export interface LedgerOptions {
  /** Requests of one key admitted per isolate between binding checks. 1 = check each request. @default 32 */
  batch: number;
  /** Longest a count may wait before the next request of its key is checked. @default 100 */
  maxDelayMs: number;
  /** How long a key the binding refused is refused here before it is checked again. @default 1000 */
  blockMs: number;
  /** The clock. @default Date.now */
  now: () => number;
}

interface KeyState {
  /** Requests admitted (or about to be checked) and not yet reported to the binding. */
  unsettled: number;
  /** When the binding last answered for this key; 0: never in this isolate. */
  settledAt: number;
  /** Refused without a check until then. */
  blockedUntil: number;
}

export const DEFAULT_LEDGER: Omit<LedgerOptions, "now"> = { batch: 32, maxDelayMs: 100, blockMs: 1000 };

/** Keys remembered per isolate before the oldest are forgotten (their unsettled counts with them). */
const MAX_KEYS = 10_000;

export class RateLedger {
  private readonly keys = new Map<string, KeyState>();
  private readonly options: LedgerOptions;
  /** False once the binding has refused a `delta`: then every request is checked on its own. */
  private deltas = true;

  constructor(
    private readonly limiter: RateLimit,
    options: Partial<LedgerOptions> = {},
  ) {
    this.options = { ...DEFAULT_LEDGER, now: Date.now, ...options };
  }

  /**
   * Counts one request of `key`: true or false when decided here, a promise when the binding is
   * asked. False: refuse it.
   */
  admit(key: string): boolean | Promise<boolean> {
    const { batch, maxDelayMs, blockMs, now } = this.options;
    const t = now();
    const state = this.stateOf(key);
    if (t < state.blockedUntil) return false;
    state.unsettled += 1;
    const due = !this.deltas || state.settledAt === 0 || t - state.settledAt >= maxDelayMs || state.unsettled >= batch;
    if (!due) return true;
    const delta = state.unsettled;
    state.unsettled = 0;
    // Concurrent requests of the key meanwhile are counted into the next settlement.
    state.settledAt = t;
    return this.settle(key, delta).then((success) => {
      if (!success) state.blockedUntil = now() + blockMs;
      return success;
    });
  }

  private async settle(key: string, delta: number): Promise<boolean> {
    if (!this.deltas) return (await this.limiter.limit({ key })).success;
    // `delta` is passed even when 1, so a runtime without it is found out on the first check.
    try {
      return (await this.limiter.limit({ key, delta })).success;
    } catch (error) {
      if (!(error instanceof Error) || !/delta/i.test(error.message)) throw error;
      this.deltas = false;
      console.warn(JSON.stringify({ level: "warn", msg: "rate limiter does not take delta; checking every request", error: error.message }));
      return (await this.limiter.limit({ key })).success;
    }
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
      state = { unsettled: 0, settledAt: 0, blockedUntil: 0 };
      this.keys.set(key, state);
    }
    return state;
  }
}

/** `SWITCHBOARD_RATE_LIMIT_BATCH`: a positive integer, or the default. */
export function ledgerBatch(value: string | undefined): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 10_000) : DEFAULT_LEDGER.batch;
}
