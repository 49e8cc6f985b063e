/**
 * When a streaming invoke that started answers its caller with the stream
 * (durable-objects/agent/streaming.ts): once its handler has a request out under way
 * (lib/protocols/outbound-watch.ts: a fetch whose answer began, a call to another agent), its
 * first event past `start` is written, or the call ended, whichever comes first — and at the
 * latest `capMs` after it started, so a handler that neither calls out nor writes soon, or whose
 * request is slow to be answered, does not hold its caller's `start` back longer.
 *
 * Why wait at all: the caller taking up the stream (the Worker's relay, the response through the
 * runtime) is work on the isolate's one thread, and done while the handler's request is on its way
 * it delays that request, which the first token waits for; done after, it overlaps the wait for
 * the first token instead (bench/README.md, `streaming`).
 */

/** The timer the cap runs on (injected in tests). */
export interface GateTimers {
  set(fire: () => void, ms: number): unknown;
  clear(timer: unknown): void;
}

const platformTimers: GateTimers = {
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** How long a started streaming invoke's answer waits at most for its handler's request or first event. @default 10 */
export const ANSWER_CAP_MS = 10;

export class AnswerGate {
  private isOpen = false;
  private release: (() => void) | null = null;

  constructor(
    private readonly capMs = ANSWER_CAP_MS,
    private readonly timers: GateTimers = platformTimers,
  ) {}

  /** What held the answer happened (a request is under way, an event was written): it may go now. */
  readonly open = (): void => {
    this.isOpen = true;
    this.release?.();
  };

  /** Resolves once the gate is open, `ending` settled, or `capMs` passed, whichever is first. */
  async passed(ending: Promise<unknown>): Promise<void> {
    if (this.isOpen) return;
    let timer: unknown;
    const released = new Promise<void>((resolve) => {
      this.release = resolve;
      timer = this.timers.set(resolve, this.capMs);
    });
    try {
      await Promise.race([released, ending.then(noop, noop)]);
    } finally {
      this.timers.clear(timer);
      this.release = null;
    }
  }
}

function noop(): void {}
