/**
 * Leases of this agent's pending async requests (lib/protocols/request-store.ts): one `lease`
 * deadline, due at the earliest lease, enqueues every request whose lease expired again and
 * re-arms for the next. A request whose queue message was lost (a `wrangler dev` restart, a queue
 * that refused it, an object evicted or crashed between storing and enqueuing) is delivered late,
 * never stranded; the delivery path dedupes the spare message of a request that was only slow.
 */
import type { DeliveryMessage } from "../../lib/protocols/delivery";
import type { RequestRow, RequestStore } from "../../lib/protocols/request-store";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";

/** Expired requests enqueued per sweep (one sendBatch holds 100); more wait for the next sweep, due at once. */
const SWEEP_BATCH = 100;
const KIND = "lease";
const KEY = "sweep";

/** What a request's queue message names. */
type Leased = Pick<RequestRow, "request_id" | "replay_of">;

export interface LeaseDeps {
  requests: RequestStore;
  deadlines: DeadlineTable;
  queue: Queue;
  /** How long a request waits for its queue message. */
  leaseMs: number;
  /** Requests this object is delivering right now: their attempt has started. */
  inFlight: ReadonlySet<string>;
}

export class Leases {
  /** When the sweep is due, as last scheduled here; undefined when not known. */
  private sweepAt: number | null | undefined;

  constructor(private readonly deps: LeaseDeps) {
    deps.deadlines.handle(KIND, () => this.sweep(Date.now()));
  }

  /** The lease of a request stored or retried now. */
  until(now: number): number {
    return now + this.deps.leaseMs;
  }

  /**
   * Sends the `deliver` messages of requests that hold a lease, and does not throw for the queue: when it
   * refuses them, their leases end now, so the sweep sends them again at once and, while the queue
   * keeps refusing, after the deadline table's backoff. Either way the request stays owed to the
   * queue, which is why it may be answered before this is done.
   */
  async send(rows: Leased[], agent: string): Promise<void> {
    try {
      await this.enqueue(rows, agent);
    } catch (error) {
      const now = Date.now();
      // Only a request still waiting for this message: one the queue took after all may have been answered since.
      const waiting = rows.filter((row) => this.deps.requests.statusOf(row.request_id) === "pending");
      for (const row of waiting) this.deps.requests.update(row.request_id, { lease_until: now }, now);
      // The request ids name their agent.
      const ids = rows.slice(0, 10).map((row) => row.request_id);
      console.warn(
        JSON.stringify({ level: "warn", msg: "could not enqueue requests; their leases will", request_ids: ids, count: rows.length, error: String(error) }),
      );
      if (waiting.length > 0) await this.watch(now);
    }
  }

  /** Makes sure a sweep is due no later than `leaseUntil`. Issued in the caller's turn, so it commits with the row. */
  watch(leaseUntil: number): Promise<void> {
    if (this.sweepAt === undefined) this.sweepAt = this.deps.deadlines.dueAt(KIND, KEY);
    if (this.sweepAt !== null && this.sweepAt <= leaseUntil) return Promise.resolve();
    this.sweepAt = leaseUntil;
    return this.deps.deadlines.schedule(KIND, KEY, leaseUntil);
  }

  /** The `lease` deadline: enqueue again what waited past its lease, then re-arm for the earliest lease left. */
  async sweep(now: number): Promise<void> {
    this.sweepAt = undefined;
    const { requests, inFlight } = this.deps;
    const expired = requests.expiredLeases(now, SWEEP_BATCH);
    const lost = expired.filter((row) => !inFlight.has(row.request_id));
    if (lost.length > 0) {
      const agent = lost[0]?.message.to ?? "";
      await this.enqueue(lost, agent);
      console.warn(JSON.stringify({ level: "warn", msg: "re-enqueued async requests whose queue message did not arrive", agent, count: lost.length }));
    }
    // Enqueued again, or being delivered right now: either way, a fresh lease.
    for (const row of expired) requests.update(row.request_id, { lease_until: this.until(now) }, now);
    // Always later than this sweep's own due time, so the deadline table keeps the row it moves.
    const next = expired.length === SWEEP_BATCH ? now + 1 : requests.nextLease();
    this.sweepAt = next;
    if (next !== null) await this.deps.deadlines.schedule(KIND, KEY, next);
  }

  /** One `deliver` queue message per request (a replay's says which letter it replays); throws when the queue refused them. */
  private async enqueue(rows: Leased[], agent: string): Promise<void> {
    const body = (row: Leased): DeliveryMessage => ({
      kind: "deliver",
      agent,
      request_id: row.request_id,
      ...(row.replay_of ? { replay_of: row.replay_of } : {}),
    });
    const [only] = rows;
    if (rows.length === 1 && only) await this.deps.queue.send(body(only), { contentType: "json" });
    else if (rows.length > 0) await this.deps.queue.sendBatch(rows.map((row) => ({ body: body(row), contentType: "json" as const })));
  }
}
