/**
 * The calls running in one agent's object, by message id, each with the abort that cancels it
 * (lib/resilience/call-abort.ts, which its deadline shares): `cancel(id)` is how a caller that
 * went away (or asked to stop) reaches the work. The signal is the handler's, so an in-flight model
 * call or remote fetch aborts with it, and every sub-call the handler made through the agent
 * reference is cancelled in turn (./agent-ref.ts).
 *
 * A cancel can overtake the call it names (a caller's two RPCs travel independently), so an id
 * cancelled while nothing runs under it is remembered for a while and its call is cancelled the
 * moment it begins. In memory on purpose: a call exists only as long as the object that runs it.
 */
import { SwitchboardError } from "../message/errors";
import { CallAbort } from "../resilience/call-abort";

/** How long a cancel that found nothing running is remembered. @default 60000 */
export const EARLY_CANCEL_TTL_MS = 60_000;
const MAX_EARLY_CANCELS = 10_000;

export interface RunningCall {
  /** Aborted when the call is cancelled (its reason a `cancelled` SwitchboardError) or, by its deadline, times out. */
  readonly abort: CallAbort;
  /** The call ended: it can no longer be cancelled. */
  end(): void;
}

export class RunningCalls {
  private readonly running = new Map<string, Set<CallAbort>>();
  private readonly early = new Map<string, { reason: SwitchboardError; until: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Registers a call that starts now under `id` (a message id). */
  begin(id: string): RunningCall {
    const abort = new CallAbort();
    const early = this.early.get(id);
    if (early && early.until > this.clock()) {
      this.early.delete(id);
      abort.abort(early.reason);
    }
    let set = this.running.get(id);
    if (!set) {
      set = new Set();
      this.running.set(id, set);
    }
    set.add(abort);
    return {
      abort,
      end: () => {
        const current = this.running.get(id);
        current?.delete(abort);
        if (current?.size === 0) this.running.delete(id);
      },
    };
  }

  /** Cancels the calls running under `id`; true when one was. Otherwise the cancel waits for the call. */
  cancel(id: string, detail: string): boolean {
    const reason = new SwitchboardError("cancelled", detail);
    const set = this.running.get(id);
    if (!set || set.size === 0) {
      if (this.early.size >= MAX_EARLY_CANCELS) this.forgetExpired();
      if (this.early.size < MAX_EARLY_CANCELS) this.early.set(id, { reason, until: this.clock() + EARLY_CANCEL_TTL_MS });
      return false;
    }
    for (const abort of set) abort.abort(reason);
    return true;
  }

  get size(): number {
    return this.running.size;
  }

  private forgetExpired(): void {
    const now = this.clock();
    for (const [id, { until }] of this.early) if (until <= now) this.early.delete(id);
  }
}
