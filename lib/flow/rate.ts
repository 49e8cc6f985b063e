/**
 * A per-key rate: at most `limit` deliveries start in any `period_ms` — a sliding window, exact,
 * so a burst of up to `limit` goes at once and the next starts the moment the oldest start in the
 * window leaves it. The start times are rows in the agent's object (only those of the last two
 * windows are kept), so a rate holds across restarts and the time the next start is allowed is known.
 *
 * A request that waited in a backlog is released by an alarm, a little after its slot freed. Its
 * start is counted at the moment the slot freed, not when the alarm ran, so that lateness does not
 * add up period after period: a backlogged key gets its full rate, and the counted starts still
 * never put more than `limit` in any window.
 */
export interface Rate {
  limit: number;
  period_ms: number;
}

export type RateDecision = { ok: true } | { ok: false; retry_at: number };

export class RateLog {
  private takes = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS flow_starts (flow_key TEXT NOT NULL, at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS flow_starts_key ON flow_starts(flow_key, at)");
  }

  /** Takes a start of `key` at `now` if the window has room; else when it will. `backlog`: the start releases a waiting request. */
  take(key: string, rate: Rate, now: number, backlog = false): RateDecision {
    const since = now - rate.period_ms;
    const inWindow = Number(this.sql.exec("SELECT COUNT(*) AS n FROM flow_starts WHERE flow_key = ? AND at > ?", key, since).one().n);
    if (inWindow >= rate.limit) {
      // The start that must leave the window before one more fits in it.
      const row = this.sql
        .exec("SELECT at FROM flow_starts WHERE flow_key = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?", key, since, inWindow - rate.limit)
        .one();
      return { ok: false, retry_at: Number(row.at) + rate.period_ms };
    }
    this.sql.exec("INSERT INTO flow_starts (flow_key, at) VALUES (?, ?)", key, backlog ? this.freedAt(key, rate, now) : now);
    // Starts no window or credit looks at any more are dropped as new ones come (in steps, to keep this cheap).
    if (++this.takes % 100 === 0) this.sql.exec("DELETE FROM flow_starts WHERE flow_key = ? AND at <= ?", key, since - rate.period_ms);
    return { ok: true };
  }

  /**
   * The earliest time a start fits the window: a period after the `limit`-th latest start. Used
   * for a backlog only when that is within the last period (the alarm was late); otherwise now.
   */
  private freedAt(key: string, rate: Rate, now: number): number {
    const row = this.sql.exec("SELECT at FROM flow_starts WHERE flow_key = ? ORDER BY at DESC LIMIT 1 OFFSET ?", key, rate.limit - 1).toArray()[0];
    const freed = row ? Number(row.at) + rate.period_ms : now;
    return freed > now - rate.period_ms ? Math.min(freed, now) : now;
  }

  /** Drops the start times older than `before` (no rate's window reaches back that far). */
  prune(before: number): void {
    this.sql.exec("DELETE FROM flow_starts WHERE at <= ?", before);
  }
}
