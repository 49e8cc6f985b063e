/**
 * Retention of this agent's requests (lib/protocols/request-store.ts): finished requests are
 * readable for a week and idempotency keys remembered for a day, then dropped by one `retention`
 * deadline, in bounded steps, off the path of any request. The first request stored since the
 * object started arms it, for no earlier than a row can be due; each sweep re-arms for the next
 * (at once while a step found more, else an hour on, or when the oldest row left can be due),
 * and none is armed once both tables are empty.
 */
import type { RequestStore } from "../../lib/protocols/request-store";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";

/** How long a sweep that found nothing more waits before the next. @default 1 hour */
export const RETENTION_SWEEP_MS = 60 * 60 * 1000;
/** Keys deleted, and requests examined, per step. */
const SWEEP_LIMIT = 500;
const KIND = "retention";
const KEY = "sweep";

export interface RetentionDeps {
  requests: RequestStore;
  deadlines: DeadlineTable;
  /** Keeps the alarm's write going after the turn that stored the request (DurableObjectState.waitUntil). */
  waitUntil(promise: Promise<unknown>): void;
}

export class Retention {
  /** A sweep is known to be due; until then, the first request stored checks the deadline table. */
  private armed = false;

  constructor(private readonly deps: RetentionDeps) {
    deps.deadlines.handle(KIND, () => this.sweep(Date.now()));
  }

  /** A request was stored: makes sure a sweep is due. Costs a read once per object start, and a write only when none was. */
  stored(): void {
    if (this.armed) return;
    this.armed = true;
    if (this.deps.deadlines.dueAt(KIND, KEY) !== null) return;
    this.deps.waitUntil(this.deps.deadlines.schedule(KIND, KEY, this.nextAfter(Date.now()) ?? Date.now() + RETENTION_SWEEP_MS));
  }

  /** The `retention` deadline: one bounded step, then the next sweep. */
  async sweep(now: number): Promise<void> {
    const more = this.deps.requests.sweep(now, SWEEP_LIMIT);
    // Always later than this sweep's own due time, so the deadline table keeps the row it moves.
    const next = more ? now + 1 : this.nextAfter(now);
    this.armed = next !== null;
    if (next !== null) await this.deps.deadlines.schedule(KIND, KEY, next);
  }

  private nextAfter(now: number): number | null {
    const due = this.deps.requests.retentionDue();
    return due === null ? null : Math.max(due, now + RETENTION_SWEEP_MS);
  }
}
