/**
 * A turn that work running side by side in one Durable Object resumes in together, so what each
 * writes next lands in one implicit transaction: one commit instead of one per piece of work. A
 * queue batch's attempts end a few milliseconds apart, and each attempt's outcome is a row update;
 * written as each ends, every update is a commit of its own (a replicated write deployed, an fsync
 * under `wrangler dev`). Each waits at most `windowMs` after the first that waits, and not at all
 * once every started piece has ended, so a slow attempt holds the others by no more than that.
 *
 * Nothing here needs to survive eviction: the work that waits is in memory, and a lost turn only
 * means its queue messages are delivered again.
 */

/** How long an ended attempt waits for the others of its batch before its outcome is written. @default 5 */
export const SHARED_TURN_WINDOW_MS = 5;

export class SharedTurn {
  private running = 0;
  private waiting: Array<() => void> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly windowMs = SHARED_TURN_WINDOW_MS) {}

  /** A piece of work began; it calls `ended` exactly once. */
  started(): void {
    this.running++;
  }

  /** Resolves in the turn every waiting piece resumes in: when none is still running, or `windowMs` after the first waited. */
  ended(): Promise<void> {
    this.running--;
    const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.running <= 0) this.release();
    else this.timer ??= setTimeout(() => this.release(), this.windowMs);
    return turn;
  }

  private release(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
