/**
 * One call's abort, shared by whatever may end the call: a cancel (lib/agents/running-calls.ts)
 * and its deadline (./deadline-policy.ts) abort the same controller, each with its own reason
 * (`cancelled`, `timeout`), so the handler gets one signal and the deadline needs no controller of
 * its own linked to the cancel signal by an event listener. The deadline learns of a cancel by
 * `onAbort`, a plain callback run before the signal fires.
 */
import type { SwitchboardError } from "../message/errors";

export class CallAbort {
  private readonly controller = new AbortController();
  private watcher: ((reason: SwitchboardError) => void) | undefined;

  /** The call's signal: what its handler, its sub-calls and its remote fetches see. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Ends the call with `reason`; the first abort wins, later ones change nothing. */
  abort(reason: SwitchboardError): void {
    if (this.controller.signal.aborted) return;
    const watcher = this.watcher;
    this.watcher = undefined;
    // Before the signal fires, so the watcher settles first, ahead of whatever the work throws on seeing it.
    watcher?.(reason);
    this.controller.abort(reason);
  }

  /**
   * Runs `fn` once with the reason when the call is aborted, unless the returned function is called
   * first. One watcher at a time (the deadline's); not called for an abort that came before.
   */
  onAbort(fn: (reason: SwitchboardError) => void): () => void {
    this.watcher = fn;
    return () => {
      if (this.watcher === fn) this.watcher = undefined;
    };
  }
}
