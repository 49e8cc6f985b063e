/**
 * The per-key gate of an agent's async deliveries. A request that is ready (new, or due) is
 * `offer`ed: it goes to the queue now with a slot reserved for it, or it is held (./held-store.ts)
 * behind its key's backlog. A queue message that arrives is `admit`ted: a reserved request runs;
 * another (a retry, or one enqueued before a restart) runs if its key has room, else it is held.
 * `done` frees the slot, and `pump` hands out the held requests a key now has room for, oldest
 * first. Keys are independent, so one key's backlog never holds back another's (fairness).
 *
 * Slots are counted in memory: they describe attempts running in this object right now, which end
 * with it. A reservation whose queue message never arrives expires after RESERVATION_MS. Held
 * requests and rate windows are durable (./held-store.ts, ./rate.ts); the caller passes the clock.
 */
import type { FlowConfig } from "./flow-config";
import type { HeldStore } from "./held-store";
import type { RateLog } from "./rate";

/** How long a slot stays reserved for a request on its way through the queue. @default 600000 */
export const RESERVATION_MS = 600_000;

export interface Room {
  ok: boolean;
  /** When a rate-limited key has room again (absent: when a running delivery ends). */
  retry_at?: number;
}

export class FlowGate {
  private readonly running = new Map<string, number>();
  private readonly reserved = new Map<string, { key: string; until: number }>();

  constructor(
    private readonly held: HeldStore,
    private readonly rates: RateLog,
  ) {}

  /** A ready request: true to enqueue it now (its slot is reserved), false when it was held. */
  offer(flow: FlowConfig | undefined, paused: boolean, requestId: string, key: string, now: number): Room {
    if (paused || this.held.hasKey(key)) return this.hold(requestId, key, now);
    const room = this.take(flow, key, now);
    if (!room.ok) return this.hold(requestId, key, now, room.retry_at);
    if (flow) this.reserved.set(requestId, { key, until: now + RESERVATION_MS });
    return room;
  }

  /** A queue message for a pending request: true to run the attempt now, false when it is (or stays) held. */
  admit(flow: FlowConfig | undefined, paused: boolean, requestId: string, key: string, now: number): Room {
    const reservation = this.reserved.get(requestId);
    if (reservation) this.reserved.delete(requestId);
    if (paused) {
      if (reservation) this.release(reservation.key);
      return this.hold(requestId, key, now);
    }
    // A spare queue message of a request that is waiting here already: it stays in its place.
    if (this.held.has(requestId)) return { ok: false };
    if (reservation) return { ok: true };
    if (this.held.hasKey(key)) return this.hold(requestId, key, now);
    const room = this.take(flow, key, now);
    return room.ok ? room : this.hold(requestId, key, now, room.retry_at);
  }

  /** An admitted attempt ended, whatever its outcome: its slot is free. */
  done(flow: FlowConfig | undefined, key: string): void {
    if (flow) this.release(key);
  }

  /** Held requests of `key` that may go now, oldest first (slots reserved, no longer held), and when to look again. */
  pump(flow: FlowConfig | undefined, paused: boolean, key: string, now: number, max: number): { ids: string[]; retry_at?: number } {
    if (paused) return { ids: [] };
    const ids: string[] = [];
    let retryAt: number | undefined;
    for (const row of this.held.first(key, max)) {
      const room = this.take(flow, key, now, true);
      if (!room.ok) {
        retryAt = room.retry_at;
        break;
      }
      this.held.remove(row.request_id);
      if (flow) this.reserved.set(row.request_id, { key, until: now + RESERVATION_MS });
      ids.push(row.request_id);
    }
    return retryAt === undefined ? { ids } : { ids, retry_at: retryAt };
  }

  /** Attempts running or on their way for `key`. */
  inFlight(key: string): number {
    return this.running.get(key) ?? 0;
  }

  /** Takes a slot of `key` (concurrency, then rate), or says when the key has room again. */
  private take(flow: FlowConfig | undefined, key: string, now: number, backlog = false): Room {
    if (!flow) return { ok: true };
    if (flow.concurrency !== undefined && this.inFlight(key) >= flow.concurrency) {
      this.expireReservations(key, now);
      if (this.inFlight(key) >= flow.concurrency) return { ok: false };
    }
    if (flow.rate) {
      const decision = this.rates.take(key, flow.rate, now, backlog);
      if (!decision.ok) return { ok: false, retry_at: decision.retry_at };
    }
    this.running.set(key, this.inFlight(key) + 1);
    return { ok: true };
  }

  private hold(requestId: string, key: string, now: number, retryAt?: number): Room {
    this.held.add(requestId, key, now);
    return retryAt === undefined ? { ok: false } : { ok: false, retry_at: retryAt };
  }

  private release(key: string): void {
    const left = this.inFlight(key) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
  }

  private expireReservations(key: string, now: number): void {
    for (const [id, reservation] of this.reserved) {
      if (reservation.key !== key || reservation.until > now) continue;
      this.reserved.delete(id);
      this.release(key);
    }
  }
}
