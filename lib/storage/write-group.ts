/**
 * A turn that requests arriving at one Durable Object close together write in, so their rows land
 * in one implicit transaction: one commit instead of one per request (a replicated write deployed,
 * an fsync under `wrangler dev`). Each request's answer still waits for the commit that holds its
 * own row (the output gate), so this changes when a row is written, never what its answer
 * promises. The first request to join waits `windowMs` (by default only for the requests already
 * on their way into the object to run first); every one that joins meanwhile resumes in the same
 * turn, in the order it joined, so each still sees what the ones before it wrote.
 *
 * Nothing here needs to survive eviction: a request that waits has not been answered, so a lost
 * turn only means its sender is not told it was accepted.
 */

/** How long the first request of a group waits for others before the group's rows are written. @default 0 */
export const WRITE_GROUP_WINDOW_MS = 0;

export class WriteGroup {
  private waiting: Array<() => void> = [];

  constructor(private readonly windowMs = WRITE_GROUP_WINDOW_MS) {}

  /** Resolves in the turn every request that joined since the group's first resumes in. */
  join(): Promise<void> {
    const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.waiting.length === 1) setTimeout(() => this.release(), this.windowMs);
    return turn;
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
