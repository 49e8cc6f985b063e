/**
 * Async requests to deliver later (`deliver_at`, `delay_ms`, schedule firings, debounced messages):
 * stored as `scheduled`, listed with their due time (lib/time/scheduled-store.ts), and released
 * by one `scheduled` deadline that is due at the earliest of them. Releasing hands the due
 * requests back to messaging, which makes them pending and enqueues them; until then no queue
 * message exists, so nothing but this deadline can start a scheduled request, and a delay may be
 * as long as the limit allows. Both the rows and the alarm survive eviction.
 */
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import { ScheduledStore } from "../../lib/time/scheduled-store";

const KIND = "scheduled";
const KEY = "sweep";
/** Due requests released per sweep (one sendBatch takes 100); more wait for the next sweep, due at once. */
const SWEEP_BATCH = 100;

export interface DelayedDeliveryDeps {
  sql: SqlStorage;
  deadlines: DeadlineTable;
  /** Makes these scheduled requests pending and enqueues them (with leases: a refused enqueue is retried by the alarm). */
  release(requestIds: string[]): Promise<void>;
}

export class DelayedDelivery {
  private readonly store: ScheduledStore;

  constructor(private readonly deps: DelayedDeliveryDeps) {
    this.store = new ScheduledStore(deps.sql);
    deps.deadlines.handle(KIND, () => this.sweep(Date.now()));
  }

  /** Holds a (just stored, `scheduled`) request until `dueAt`. */
  async hold(requestId: string, dueAt: number): Promise<void> {
    this.store.add(requestId, dueAt);
    await this.arm();
  }

  /** Stops holding a request (cancelled, superseded); true when it was held. */
  forget(requestId: string): boolean {
    return this.store.remove(requestId);
  }

  /** When a held request is due, or null when it is not held. */
  dueAt(requestId: string): number | null {
    return this.store.dueAt(requestId);
  }

  /** How many requests wait for their time. */
  count(): number {
    return this.store.count();
  }

  /** The deadline: release what is due, earliest first, then re-arm for the earliest left. */
  async sweep(now: number): Promise<void> {
    const due = this.store.due(now, SWEEP_BATCH);
    if (due.length > 0) {
      const ids = due.map((row) => row.request_id);
      // Should releasing throw, they stay listed and the deadline table runs this again after a backoff.
      await this.deps.release(ids);
      for (const id of ids) this.store.remove(id);
    }
    // Later than this sweep's own due time, so the deadline table keeps the row it moves.
    await this.arm(due.length === SWEEP_BATCH ? now + 1 : undefined);
  }

  private async arm(at = this.store.next()): Promise<void> {
    if (at === null) this.deps.deadlines.cancel(KIND, KEY);
    else await this.deps.deadlines.schedule(KIND, KEY, at);
  }
}
