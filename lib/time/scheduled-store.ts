/**
 * Async requests waiting for their time (status `scheduled`): one row per request with the time it
 * is due, in the agent's Durable Object beside the request rows. Indexed by due time, so the alarm
 * finds what is due without reading the rest, however many messages wait, for however long.
 */
export interface ScheduledRow {
  request_id: string;
  due_at: number;
}

export class ScheduledStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS scheduled_requests (request_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS scheduled_requests_due ON scheduled_requests(due_at)");
  }

  add(requestId: string, dueAt: number): void {
    this.sql.exec(
      "INSERT INTO scheduled_requests (request_id, due_at) VALUES (?, ?) ON CONFLICT(request_id) DO UPDATE SET due_at = excluded.due_at",
      requestId,
      dueAt,
    );
  }

  /** True when the request was waiting (and no longer is). */
  remove(requestId: string): boolean {
    return this.sql.exec("DELETE FROM scheduled_requests WHERE request_id = ?", requestId).rowsWritten > 0;
  }

  dueAt(requestId: string): number | null {
    const row = this.sql.exec("SELECT due_at FROM scheduled_requests WHERE request_id = ?", requestId).toArray()[0];
    return row ? Number(row.due_at) : null;
  }

  /** Requests due at `now`, earliest first (ties in the order they were scheduled), at most `limit`. */
  due(now: number, limit: number): ScheduledRow[] {
    return this.sql
      .exec("SELECT request_id, due_at FROM scheduled_requests WHERE due_at <= ? ORDER BY due_at, rowid LIMIT ?", now, limit)
      .toArray()
      .map((row) => ({ request_id: String(row.request_id), due_at: Number(row.due_at) }));
  }

  /** The earliest due time, or null when nothing waits. */
  next(): number | null {
    const row = this.sql.exec("SELECT MIN(due_at) AS at FROM scheduled_requests").one();
    return row.at === null ? null : Number(row.at);
  }

  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM scheduled_requests").one().n);
  }
}
