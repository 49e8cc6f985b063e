/**
 * Concurrency cap for one agent (the seed's connection pool), counted in the agent's Durable
 * Object across every caller. Excess callers wait in FIFO order until their deadline, then get
 * `pool_saturated`.
 *
 * Slots live in memory on purpose: a slot exists exactly as long as the invocation holding it runs
 * in this object. When the object is evicted its invocations end with it, so its slots are freed
 * with it; persisting them would only leave stale slots behind.
 */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Pool {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private max: number) {}

  resize(max: number): void {
    this.max = max;
    this.drain();
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** A release function, or null when no slot freed up within `waitMs` or `signal` aborted first. */
  acquire(waitMs: number, signal?: AbortSignal): Promise<Release | null> {
    if (signal?.aborted) return Promise.resolve(null);
    if (this.active < this.max && this.waiters.length === 0) return Promise.resolve(this.take());
    if (waitMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const giveUp = () => {
        clearTimeout(waiter.timer);
        signal?.removeEventListener("abort", giveUp);
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(null);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener("abort", giveUp);
          resolve(release);
        },
        timer: setTimeout(giveUp, waitMs),
      };
      signal?.addEventListener("abort", giveUp, { once: true });
      this.waiters.push(waiter);
    });
  }

  private take(): Release {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.max && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      clearTimeout(waiter.timer);
      waiter.grant(this.take());
    }
  }
}
